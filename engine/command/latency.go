package command

import "time"

// LatencyMonitor records events (loop stalls, slow commands) that took at
// least latency-monitor-threshold milliseconds, per event name: the latest
// sample, the all-time maximum, and a history of the last 160 samples, one
// per second at most (the newest sample of a second wins).
type LatencyMonitor struct {
	events map[string]*latencyEvent
}

type latencyEvent struct {
	history []LatencySample // oldest first, at most latencyHistoryLen
	max     int64
}

// LatencySample is one recorded event: when (Unix seconds) and how long (ms).
type LatencySample struct {
	Time int64
	Ms   int64
}

const latencyHistoryLen = 160

// NewLatencyMonitor makes an empty monitor.
func NewLatencyMonitor() *LatencyMonitor {
	return &LatencyMonitor{events: make(map[string]*latencyEvent)}
}

// Add records that event took d, starting at start.
func (m *LatencyMonitor) Add(event string, start time.Time, d time.Duration) {
	ms := d.Milliseconds()
	now := start.Add(d).Unix()
	ev := m.events[event]
	if ev == nil {
		ev = &latencyEvent{}
		m.events[event] = ev
	}
	if ms > ev.max {
		ev.max = ms
	}
	if n := len(ev.history); n > 0 && ev.history[n-1].Time == now {
		if ms > ev.history[n-1].Ms {
			ev.history[n-1].Ms = ms
		}
		return
	}
	if len(ev.history) == latencyHistoryLen {
		copy(ev.history, ev.history[1:])
		ev.history = ev.history[:latencyHistoryLen-1]
	}
	ev.history = append(ev.history, LatencySample{Time: now, Ms: ms})
}

// Events returns the names of recorded events.
func (m *LatencyMonitor) Events() []string {
	out := make([]string, 0, len(m.events))
	for k := range m.events {
		out = append(out, k)
	}
	return out
}

// Latest returns the newest sample and the maximum of event.
func (m *LatencyMonitor) Latest(event string) (LatencySample, int64, bool) {
	ev := m.events[event]
	if ev == nil || len(ev.history) == 0 {
		return LatencySample{}, 0, false
	}
	return ev.history[len(ev.history)-1], ev.max, true
}

// History returns the samples of event, oldest first.
func (m *LatencyMonitor) History(event string) []LatencySample {
	if ev := m.events[event]; ev != nil {
		return ev.history
	}
	return nil
}

// Reset forgets the named events, or all of them when none is named,
// returning how many were forgotten.
func (m *LatencyMonitor) Reset(names ...string) int {
	if len(names) == 0 {
		n := len(m.events)
		m.events = make(map[string]*latencyEvent)
		return n
	}
	n := 0
	for _, k := range names {
		if _, ok := m.events[k]; ok {
			delete(m.events, k)
			n++
		}
	}
	return n
}
