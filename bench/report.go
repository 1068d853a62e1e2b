package bench

// RenderReport renders REPORT.md.
func RenderReport(r *Results, plots []string) string { return "" }
