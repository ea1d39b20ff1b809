package main

import (
	"fmt"
	"io"
	"strings"
)

// status of a figure against its target.
type status int

const (
	info status = iota // no target: context only
	pass
	miss
	skip
)

func (s status) String() string {
	switch s {
	case pass:
		return "PASS"
	case miss:
		return "MISS"
	case skip:
		return "SKIP"
	}
	return ""
}

// row is one figure of the final table.
type row struct {
	section string
	name    string
	value   string
	target  string
	st      status
}

// table collects rows as the sections run.
type table struct{ rows []row }

func (t *table) add(section, name, value, target string, st status) {
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) } // Markdown cells
	t.rows = append(t.rows, row{esc(section), esc(name), esc(value), esc(target), st})
}

// info adds a figure without a target.
func (t *table) info(section, name, value string) { t.add(section, name, value, "", info) }

// skipped records a measurement that could not run and why.
func (t *table) skipped(section, name, why string) { t.add(section, name, why, "", skip) }

// lessThan adds a figure that passes when v < limit.
func (t *table) lessThan(section, name string, v, limit float64, unit string) {
	t.add(section, name, fmtNum(v)+" "+unit, "< "+fmtNum(limit)+" "+unit, mark(v < limit))
}

// atMost adds a figure that passes when v <= limit.
func (t *table) atMost(section, name string, v, limit float64, unit string) {
	t.add(section, name, fmtNum(v)+" "+unit, "≤ "+fmtNum(limit)+" "+unit, mark(v <= limit))
}

// atLeast adds a figure that passes when v >= limit.
func (t *table) atLeast(section, name string, v, limit float64, unit string) {
	t.add(section, name, fmtNum(v)+" "+unit, "≥ "+fmtNum(limit)+" "+unit, mark(v >= limit))
}

func mark(ok bool) status {
	if ok {
		return pass
	}
	return miss
}

// fmtNum prints v with three significant digits or as an integer.
func fmtNum(v float64) string {
	switch a := v; {
	case a < 0:
		return "-" + fmtNum(-v)
	case a == 0:
		return "0"
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a >= 0.01:
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

// print writes the table as Markdown, then a one-line summary.
func (t *table) print(w io.Writer) (misses int) {
	widths := [5]int{len("section"), len("figure"), len("value"), len("target"), len("mark")}
	for _, r := range t.rows {
		for i, s := range [...]string{r.section, r.name, r.value, r.target, r.st.String()} {
			widths[i] = max(widths[i], runeLen(s))
		}
	}
	line := func(cells ...string) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range cells {
			b.WriteString(" " + c + strings.Repeat(" ", widths[i]-runeLen(c)) + " |")
		}
		fmt.Fprintln(w, b.String())
	}
	line("section", "figure", "value", "target", "mark")
	var sep [5]string
	for i := range sep {
		sep[i] = strings.Repeat("-", widths[i])
	}
	line(sep[:]...)
	var passes, skips int
	for _, r := range t.rows {
		line(r.section, r.name, r.value, r.target, r.st.String())
		switch r.st {
		case pass:
			passes++
		case miss:
			misses++
		case skip:
			skips++
		}
	}
	fmt.Fprintf(w, "\n%d pass, %d miss, %d skipped\n", passes, misses, skips)
	return misses
}

func runeLen(s string) int { return len([]rune(s)) }
