package command

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// LATENCY (LATEST, HISTORY, RESET, DOCTOR, HISTOGRAM, HELP) over the
// server's LatencyMonitor (event-loop stalls and slow commands) and the
// per-command latency histograms (latencyHistogram, histogram.go).

func init() {
	handle(map[string]func(c *Client){
		"latency|latest":    latencyLatestCommand,
		"latency|history":   latencyHistoryCommand,
		"latency|reset":     latencyResetCommand,
		"latency|doctor":    latencyDoctorCommand,
		"latency|histogram": latencyHistogramCommand,
		"latency|help":      latencyHelpCommand,
	})
}

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

func latencyLatestCommand(c *Client) {
	m := c.srv.latencyMon
	events := m.Events()
	sort.Strings(events)
	c.ReplyArrayLen(len(events))
	for _, e := range events {
		last, maxMs, _ := m.Latest(e)
		c.ReplyArrayLen(4)
		c.ReplyBulkString(e)
		c.ReplyInt(last.Time)
		c.ReplyInt(last.Ms)
		c.ReplyInt(maxMs)
	}
}

func latencyHistoryCommand(c *Client) {
	h := c.srv.latencyMon.History(string(c.Args[2]))
	c.ReplyArrayLen(len(h))
	for _, s := range h {
		c.ReplyArrayLen(2)
		c.ReplyInt(s.Time)
		c.ReplyInt(s.Ms)
	}
}

func latencyResetCommand(c *Client) {
	names := make([]string, 0, len(c.Args)-2)
	for _, a := range c.Args[2:] {
		names = append(names, string(a))
	}
	c.ReplyInt(int64(c.srv.latencyMon.Reset(names...)))
}

func latencyDoctorCommand(c *Client) {
	s := c.srv
	m := s.latencyMon
	events := m.Events()
	if len(events) == 0 {
		if s.Config.LatencyMonitorThreshold == 0 {
			c.ReplyBulkString("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. " +
				"You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. " +
				"If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n")
			return
		}
		c.ReplyBulkString("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the " +
			"slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n")
		return
	}
	sort.Strings(events)
	var b strings.Builder
	b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, is that right?\n\n")
	for i, e := range events {
		h := m.History(e)
		_, maxMs, _ := m.Latest(e)
		sum := int64(0)
		for _, x := range h {
			sum += x.Ms
		}
		avg := sum / int64(len(h))
		dev := int64(0)
		for _, x := range h {
			d := x.Ms - avg
			if d < 0 {
				d = -d
			}
			dev += d
		}
		dev /= int64(len(h))
		fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation %dms). Worst all time event %dms.\n",
			i+1, e, len(h), avg, dev, maxMs)
	}
	b.WriteString("\nI have no advice to offer: the events above are loop stalls and slow commands; " +
		"check the workload and the allocator backend.\n")
	c.ReplyBulkString(b.String())
}

// latencyHistogramCommand replies, for the named commands (all when none
// is named; a container names its subcommands too), the call count and the
// cumulative count of calls at or under each power-of-two microsecond
// level. Unknown names and commands never called are left out.
func latencyHistogramCommand(c *Client) {
	s := c.srv
	var cmds []*Command
	addWith := func(cmd *Command) {
		if cmd.latency != nil {
			cmds = append(cmds, cmd)
		}
		for _, sub := range cmd.SortedSubs() {
			if sub.latency != nil {
				cmds = append(cmds, sub)
			}
		}
	}
	if len(c.Args) == 2 {
		for _, cmd := range s.table.Sorted() {
			addWith(cmd)
		}
	} else {
		for _, name := range c.Args[2:] {
			if cmd := s.table.Get(Lower(name)); cmd != nil {
				addWith(cmd)
			}
		}
	}
	c.ReplyArrayLen(2 * len(cmds))
	for _, cmd := range cmds {
		c.ReplyBulkString(cmd.Name)
		c.ReplyArrayLen(4)
		c.ReplyBulkString("calls")
		c.ReplyInt(int64(cmd.latency.total))
		c.ReplyBulkString("histogram_usec")
		var pairs []int64
		cmd.latency.Cumulative(func(upTo int64, n uint64) { pairs = append(pairs, upTo/1000, int64(n)) })
		c.ReplyArrayLen(len(pairs))
		for _, v := range pairs {
			c.ReplyInt(v)
		}
	}
}

func latencyHelpCommand(c *Client) {
	c.replyHelp("LATENCY",
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
	)
}
