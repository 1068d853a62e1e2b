package bench

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Redis is drawn in red everywhere; rundb backends take the palette in order.
var (
	redisColor = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	palette    = []color.RGBA{
		{0x1f, 0x77, 0xb4, 0xff}, // blue
		{0x2c, 0xa0, 0x2c, 0xff}, // green
		{0xff, 0x7f, 0x0e, 0xff}, // orange
		{0x94, 0x67, 0xbd, 0xff}, // purple
		{0x8c, 0x56, 0x4b, 0xff}, // brown
		{0x17, 0xbe, 0xcf, 0xff}, // cyan
		{0xe3, 0x77, 0xc2, 0xff}, // pink
		{0x7f, 0x7f, 0x7f, 0xff}, // grey
		{0xbc, 0xbd, 0x22, 0xff}, // olive
	}
)

func backendColor(r *Results, b string) color.Color {
	if b == Redis {
		return redisColor
	}
	i := 0
	for _, x := range r.Backends {
		if x == b {
			return palette[i%len(palette)]
		}
		if x != Redis {
			i++
		}
	}
	return palette[len(palette)-1]
}

func newPlot(title, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Y.Label.Text = ylabel
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.X.Tick.Label.Font.Size = vg.Points(10)
	p.Y.Tick.Label.Font.Size = vg.Points(10)
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Add(plotter.NewGrid())
	return p
}

// WritePlots draws the PNG plots into dir and returns their file names.
func WritePlots(r *Results, dir string) ([]string, error) {
	var written []string
	var firstErr error
	for _, pl := range []struct {
		name string
		draw func(*Results, string) (bool, error)
	}{
		{PlotBytesPerKey, func(r *Results, f string) (bool, error) {
			return plotMemoryBars(r, f, MBytesUsed, "bytes per key by used_memory (red: Redis; dashed line: Redis's figure)")
		}},
		{PlotRSSPerKey, func(r *Results, f string) (bool, error) {
			return plotMemoryBars(r, f, MBytesRSS, "bytes per key by RSS growth (red: Redis; dashed line: Redis's figure)")
		}},
		{PlotSweepBytes, plotSweepBytes},
		{PlotSweepPopulate, plotSweepPopulate},
		{PlotRPS, plotRPS},
		{PlotLatency, plotLatency},
		{PlotExpiry, plotExpiry},
		{PlotSnapshot, plotSnapshot},
		{PlotRestart, plotRestart},
		{PlotGrowth, plotGrowth},
		{PlotHuge, plotHuge},
		{PlotE1, plotE1},
	} {
		ok, err := pl.draw(r, filepath.Join(dir, pl.name))
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", pl.name, err)
			}
			continue
		}
		if ok {
			written = append(written, pl.name)
		}
	}
	return written, firstErr
}

// barLabel puts text centered above a bar.
func barLabel(p *plot.Plot, x, y float64, s string) {
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: x, Y: y}}, Labels: []string{s}})
	if err != nil {
		return
	}
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign = draw.XCenter
		l.TextStyle[i].YAlign = draw.YBottom
		l.TextStyle[i].Font.Size = vg.Points(9)
	}
	l.Offset = vg.Point{Y: vg.Points(2)}
	p.Add(l)
}

func hline(p *plot.Plot, x0, x1, y float64, c color.Color) {
	l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	if err != nil {
		return
	}
	l.Color = c
	l.Width = vg.Points(1)
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(l)
}

// plotMemoryBars draws one panel per memory workload, one bar per backend.
func plotMemoryBars(r *Results, file, metric, title string) (bool, error) {
	var panels []*plot.Plot
	for _, w := range r.Workloads {
		if w.Kind != KindMemory {
			continue
		}
		param := HeadlineParam(w.Name, r.Sizes)
		n, _ := ParamInt(param, "N")
		p := newPlot(fmt.Sprintf("%s %s (N=%s)", w.Name, w.Title, humanN(n)), "bytes per key")
		if w.Name == "W4" || w.Name == "W5" || w.Name == "W6" {
			p.Y.Label.Text = "bytes per element"
		}
		var names []string
		top := 0.0
		any := false
		for i, b := range r.Backends {
			names = append(names, b)
			row, ok := r.Find(w.Name, param, b)
			v, has := row.Get(metric)
			if !ok || !has {
				barLabel(p, float64(i), 0, shortStatus(row, ok))
				continue
			}
			any = true
			if err := backendBar(p, r, i, b, v, "%.0f"); err != nil {
				return false, err
			}
			top = math.Max(top, v)
			if b == Redis {
				hline(p, -0.5, float64(len(r.Backends))-0.5, v, redisColor)
			}
		}
		if !any {
			continue
		}
		p.NominalX(names...)
		p.X.Tick.Label.Rotation = 0.5
		p.X.Tick.Label.XAlign = draw.XRight
		p.Y.Min = 0
		p.Y.Max = top * 1.15
		panels = append(panels, p)
	}
	if len(panels) == 0 {
		return false, nil
	}
	cols := min(4, len(panels))
	rows := (len(panels) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	for i, p := range panels {
		grid[i/cols][i%cols] = p
	}
	grid = append([][]*plot.Plot{titleRow(title, cols)}, grid...)
	return true, saveGridTitled(grid, vg.Length(cols)*4*vg.Inch, vg.Length(rows)*3.6*vg.Inch, file)
}

// titleRow is not a plot; saveGridTitled draws the title above the grid.
func titleRow(title string, cols int) []*plot.Plot {
	p := plot.New()
	p.Title.Text = title
	row := make([]*plot.Plot, cols)
	row[0] = p
	return row
}

// legendEntry is a backend name and its color, for the shared legend.
type legendEntry struct {
	name  string
	color color.Color
	ref   bool
}

func backendLegend(r *Results) []legendEntry {
	var out []legendEntry
	for _, b := range r.Backends {
		name := b
		if b == Redis {
			name = "redis (reference)"
		}
		out = append(out, legendEntry{name, backendColor(r, b), b == Redis})
	}
	return out
}

func legendH(es []legendEntry) vg.Length {
	if len(es) == 0 {
		return 0
	}
	return vg.Inch * 0.35
}

// drawLegendRow draws the entries in one centered line just below y.
func drawLegendRow(dc draw.Canvas, y vg.Length, es []legendEntry) {
	sty := plot.New().Legend.TextStyle
	sty.Font.Size = vg.Points(12)
	sty.YAlign = draw.YCenter
	box := vg.Points(11)
	gap := vg.Points(18)
	total := vg.Length(0)
	for _, e := range es {
		total += box + vg.Points(4) + sty.Width(e.name) + gap
	}
	x := (dc.Min.X+dc.Max.X)/2 - total/2
	cy := y - vg.Inch*0.35/2
	for _, e := range es {
		dc.SetColor(e.color)
		dc.Fill(vg.Rectangle{Min: vg.Point{X: x, Y: cy - box/2}, Max: vg.Point{X: x + box, Y: cy + box/2}}.Path())
		x += box + vg.Points(4)
		dc.FillText(sty, vg.Point{X: x, Y: cy}, e.name)
		x += sty.Width(e.name) + gap
	}
}

// saveGridTitled writes a grid whose first row carries only a title, with
// the shared backend legend under it when legendEntries is set.
func saveGridTitled(grid [][]*plot.Plot, w, h vg.Length, file string, legendEntries ...legendEntry) error {
	title := grid[0][0].Title.Text
	body := grid[1:]
	titleH := vg.Inch * 0.45
	img := vgimg.NewWith(vgimg.UseWH(w, h+titleH+legendH(legendEntries)), vgimg.UseDPI(96))
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	top := dc
	top.Min.Y = dc.Max.Y - titleH
	sty := plot.New().Title.TextStyle
	sty.Font.Size = vg.Points(15)
	sty.XAlign = draw.XCenter
	sty.YAlign = draw.YCenter
	top.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: top.Min.Y + titleH/2}, title)
	if len(legendEntries) > 0 {
		drawLegendRow(dc, dc.Max.Y-titleH, legendEntries)
	}
	bodyC := dc
	bodyC.Max.Y = dc.Max.Y - titleH - legendH(legendEntries)
	t := draw.Tiles{Rows: len(body), Cols: len(body[0]), PadX: vg.Millimeter * 5, PadY: vg.Millimeter * 6,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 3, PadLeft: vg.Millimeter * 3, PadRight: vg.Millimeter * 3}
	canvases := plot.Align(body, t, bodyC)
	for i := range body {
		for j := range body[i] {
			if body[i][j] != nil {
				body[i][j].Draw(canvases[i][j])
			}
		}
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func shortStatus(row Row, found bool) string {
	if !found {
		return "n/a"
	}
	switch row.Status {
	case StatusUnsupported:
		return "unsupp."
	case StatusMissing:
		return "missing"
	case StatusFailed:
		return "failed"
	}
	return "n/a"
}

// sweepLines draws metric against W1's N for every backend, log x (and log
// y when logY).
func sweepLines(r *Results, file, title, ylabel, metric string, logY bool) (bool, error) {
	ns := sweepNs(r)
	if len(ns) < 2 {
		return false, nil
	}
	p := newPlot("", ylabel)
	p.X.Label.Text = "keys (N)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = nTicks(ns)
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	any := false
	for _, b := range r.Backends {
		var xys plotter.XYs
		for _, n := range ns {
			row, ok := r.Find("W1", nParam(n), b)
			if v, has := row.Get(metric); ok && has && (!logY || v > 0) {
				xys = append(xys, plotter.XY{X: float64(n), Y: v})
			}
		}
		if len(xys) == 0 {
			continue
		}
		any = true
		if err := addBackendLine(p, r, b, xys, 2, 3.5, 6); err != nil {
			return false, err
		}
	}
	if !any {
		return false, nil
	}
	if !logY {
		p.Y.Min = 0
		p.Y.Max *= 1.1
	}
	return true, saveGridTitled([][]*plot.Plot{titleRow(title, 1), {p}}, 10*vg.Inch, 5.5*vg.Inch, file, backendLegend(r)...)
}

func plotSweepBytes(r *Results, file string) (bool, error) {
	return sweepLines(r, file, "W1 strings-small: bytes per key against N (used_memory; flat is good)", "bytes per key", MBytesUsed, false)
}

func plotSweepPopulate(r *Results, file string) (bool, error) {
	return sweepLines(r, file, "W1 strings-small: populate time against N (log-log; slope 1 is linear)", "seconds", MPopulateSec, true)
}

// logTicks labels 1, 2 and 5 times each power of ten in range (every
// integer multiple when the range spans less than a decade).
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	pick := func(mults []float64) []plot.Tick {
		var out []plot.Tick
		for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
			for _, m := range mults {
				v := m * math.Pow(10, e)
				if v >= lo*0.999 && v <= hi*1.001 {
					out = append(out, plot.Tick{Value: v, Label: fmt.Sprintf("%g", float32(v))})
				}
			}
		}
		return out
	}
	if t := pick([]float64{1, 2, 5}); len(t) >= 3 {
		return t
	}
	return pick([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9})
}

// nTicks labels the sweep sizes as 10k, 100k, 1M.
type nTicks []int

func (t nTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, n := range t {
		out = append(out, plot.Tick{Value: float64(n), Label: humanN(n)})
	}
	return out
}

func humanN(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// throughputCols lists the throughput workloads and the pipelines seen.
func throughputCols(r *Results) (ws []WorkloadInfo, ps []string) {
	seen := map[string]bool{}
	for _, w := range r.Workloads {
		if w.Kind != KindThroughput {
			continue
		}
		ws = append(ws, w)
		for _, p := range r.Params(w.Name) {
			if !seen[p] {
				seen[p] = true
				ps = append(ps, p)
			}
		}
	}
	return ws, ps
}

// plotRPS draws one panel per pipeline depth: grouped bars, workloads on x,
// one bar per backend.
func plotRPS(r *Results, file string) (bool, error) {
	ws, ps := throughputCols(r)
	if len(ws) == 0 {
		return false, nil
	}
	nb := len(r.Backends)
	// Groups sit one unit apart on about 6.3 inches of axis; bars fill 80% of a group.
	width := vg.Length(0.8 * 6.3 * 72 / float64(len(ws)) / float64(max(1, nb)))
	var row []*plot.Plot
	for _, param := range ps {
		p := newPlot(fmt.Sprintf("requests per second, pipeline %s (%d connections)", param[2:], r.Sizes.Conns), "thousand requests / s")
		var names []string
		for _, w := range ws {
			names = append(names, w.Name+" "+w.Title)
		}
		top := 0.0
		for j, b := range r.Backends {
			vals := make(plotter.Values, len(ws))
			for i, w := range ws {
				row, _ := r.Find(w.Name, param, b)
				if v, ok := row.Get(MRPS); ok {
					vals[i] = v / 1000
					top = math.Max(top, vals[i])
				}
			}
			bar, err := plotter.NewBarChart(vals, width)
			if err != nil {
				return false, err
			}
			bar.Color = backendColor(r, b)
			bar.LineStyle.Width = 0
			bar.Offset = vg.Length(float64(j)-float64(nb-1)/2) * width
			p.Add(bar)
		}
		p.NominalX(names...)
		p.Y.Min = 0
		p.Y.Max = top * 1.1
		row = append(row, p)
	}
	return true, saveGridTitled(append([][]*plot.Plot{titleRow("throughput by backend; missing bars: unsupported or failed (see REPORT.md)", len(row))}, row),
		vg.Length(len(row))*7*vg.Inch, 5*vg.Inch, file, backendLegend(r)...)
}

// plotLatency draws, per pipeline depth and workload, p50/p99/p99.9/max
// for every backend (log y).
func plotLatency(r *Results, file string) (bool, error) {
	ws, ps := throughputCols(r)
	if len(ws) == 0 {
		return false, nil
	}
	metrics := []string{MP50, MP99, MP999, MMax}
	labels := []string{"p50", "p99", "p99.9", "max"}
	var grid [][]*plot.Plot
	for _, param := range ps {
		var row []*plot.Plot
		for _, w := range ws {
			p := newPlot(fmt.Sprintf("%s %s, pipeline %s", w.Name, w.Title, param[2:]), "ms (log)")
			p.NominalX(labels...)
			any := false
			for _, b := range r.Backends {
				row, _ := r.Find(w.Name, param, b)
				var xys plotter.XYs
				for i, m := range metrics {
					if v, ok := row.Get(m); ok && v > 0 {
						xys = append(xys, plotter.XY{X: float64(i), Y: v})
					}
				}
				if len(xys) == 0 {
					continue
				}
				any = true
				if err := addBackendLine(p, r, b, xys, 1.5, 3, 5); err != nil {
					return false, err
				}
			}
			if any {
				p.Y.Scale = plot.LogScale{}
				p.Y.Tick.Marker = logTicks{}
			} else {
				p.Title.Text += ": no data"
			}
			row = append(row, p)
		}
		grid = append(grid, row)
	}
	title := "latency percentiles per command (log scale; Redis dashed red)"
	return true, saveGridTitled(append([][]*plot.Plot{titleRow(title, len(ws))}, grid...),
		vg.Length(len(ws))*3.6*vg.Inch, vg.Length(len(ps))*3.4*vg.Inch, file, backendLegend(r)...)
}

// addBackendLine adds one backend's line with points, in its colour; Redis,
// the reference, is dashed with square points.
func addBackendLine(p *plot.Plot, r *Results, b string, xys plotter.XYs, width, radius, dash float64) error {
	l, s, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	c := backendColor(r, b)
	l.Color, s.Color = c, c
	l.Width = vg.Points(width)
	s.Radius = vg.Points(radius)
	if b == Redis {
		l.Dashes = []vg.Length{vg.Points(dash), vg.Points(3)}
		s.Shape = draw.BoxGlyph{}
	} else {
		s.Shape = draw.CircleGlyph{}
	}
	p.Add(l, s)
	return nil
}

// plotExpiry draws X1: per backend, the seconds from the last deadline until
// every expired key was gone, and the longest PING meanwhile (dashed: the
// 25 ms target).
func plotExpiry(r *Results, file string) (bool, error) {
	return barGrid(r, "X1 expire-cycle (red: Redis)", file,
		barPanel{w: "X1", metric: MX1ReclaimSec, title: "X1: last deadline to all expired keys deleted", ylabel: "seconds", format: "%.2f"},
		barPanel{w: "X1", metric: MX1PingMaxMs, title: "X1: longest PING meanwhile (target 25 ms)", ylabel: "ms", format: "%.2f", ref: 25},
	)
}

// backendBar adds backend b's bar of value v at slot i, labelled with v in
// format.
func backendBar(p *plot.Plot, r *Results, i int, b string, v float64, format string) error {
	bar, err := plotter.NewBarChart(plotter.Values{math.Max(v, 0)}, vg.Points(22))
	if err != nil {
		return err
	}
	bar.XMin = float64(i)
	bar.Color = backendColor(r, b)
	bar.LineStyle.Width = 0
	p.Add(bar)
	barLabel(p, float64(i), math.Max(v, 0), fmt.Sprintf(format, v))
	return nil
}

// barPanel is one panel of a per-backend bar chart: metric m of workload w
// for every backend, with Redis's value drawn across as a line, or, when ref
// is positive, that target instead.
type barPanel struct {
	w, metric, title, ylabel, format string
	ref                              float64
}

func (bp barPanel) plot(r *Results) (*plot.Plot, error) {
	p := newPlot(bp.title, bp.ylabel)
	var names []string
	top, any := 0.0, false
	for i, b := range r.Backends {
		names = append(names, b)
		row, ok := r.Find(bp.w, "", b)
		v, has := row.Get(bp.metric)
		if !ok || !has {
			barLabel(p, float64(i), 0, shortStatus(row, ok))
			continue
		}
		any = true
		if err := backendBar(p, r, i, b, v, bp.format); err != nil {
			return nil, err
		}
		top = math.Max(top, v)
		if b == Redis && bp.ref <= 0 {
			hline(p, -0.5, float64(len(r.Backends))-0.5, v, redisColor)
		}
	}
	if !any {
		return nil, nil
	}
	if bp.ref > 0 {
		hline(p, -0.5, float64(len(r.Backends))-0.5, bp.ref, redisColor)
		top = math.Max(top, bp.ref)
	}
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = 0.5
	p.X.Tick.Label.XAlign = draw.XRight
	p.Y.Min = 0
	p.Y.Max = top * 1.15
	return p, nil
}

// barGrid saves panels side by side under a title; false when none has data.
func barGrid(r *Results, title, file string, panels ...barPanel) (bool, error) {
	var ps []*plot.Plot
	for _, bp := range panels {
		p, err := bp.plot(r)
		if err != nil {
			return false, err
		}
		if p != nil {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return false, nil
	}
	grid := [][]*plot.Plot{titleRow(title, len(ps)), ps}
	return true, saveGridTitled(grid, vg.Length(len(ps))*4*vg.Inch, 3.6*vg.Inch, file)
}

// plotSnapshot draws S1: the rewrite's time, T1's p99.9 during it and the
// peak PSS, per backend (red line: Redis).
func plotSnapshot(r *Results, file string) (bool, error) {
	return barGrid(r, "S1 snapshot-stall: BGREWRITEAOF under T1 (red: Redis, fork)", file,
		barPanel{w: "S1", metric: MS1RewriteSec, title: "rewrite time", ylabel: "seconds", format: "%.2f"},
		barPanel{w: "S1", metric: MS1P999Ms, title: "T1 p99.9 latency meanwhile", ylabel: "ms", format: "%.2f"},
		barPanel{w: "S1", metric: MS1PeakMB, title: "peak PSS (server + children)", ylabel: "MiB", format: "%.0f"},
	)
}

// plotRestart draws R1: seconds from the process's start to its first
// PONG with the snapshot loaded, per backend.
func plotRestart(r *Results, file string) (bool, error) {
	return barGrid(r, "R1 restart: loading W1's snapshot (red: Redis)", file,
		barPanel{w: "R1", metric: MR1LoadSec, title: "start to PONG", ylabel: "seconds", format: "%.2f"},
		barPanel{w: "R1", metric: MR1KeysPerSec, title: "keys loaded per second", ylabel: "keys/s", format: "%.0f"},
	)
}

// plotGrowth draws G1: per backend and layout, the time to write W1's keys
// into an empty server and the longest PING meanwhile.
func plotGrowth(r *Results, file string) (bool, error) {
	return barGrid(r, "G1 growth-stall: W1 written into an empty server (red: Redis)", file,
		barPanel{w: "G1", metric: MG1PopulateSec, title: "populate time", ylabel: "seconds", format: "%.2f"},
		barPanel{w: "G1", metric: MG1PingMaxMs, title: "longest PING meanwhile", ylabel: "ms", format: "%.1f"},
	)
}
