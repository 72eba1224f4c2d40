// Package htmlcheck is a small sanity check of the pages' HTML for tests,
// without an HTML parser dependency: it reads the tags of a page written
// in the pages' own style (every element closed, attributes quoted) and
// reports unbalanced tags, duplicate ids, references to missing ids and
// form controls without a label. It is not a validator; it catches the
// mistakes hand-written pages make.
package htmlcheck

import (
	"fmt"
	"regexp"
	"strings"
)

// Element is one start tag of a page.
type Element struct {
	Tag    string
	Attrs  map[string]string
	Parent int // index in Doc.Elements, -1 at the top
	Line   int
}

// Has reports whether the element has attribute name.
func (e Element) Has(name string) bool { _, ok := e.Attrs[name]; return ok }

// Doc is a page's elements in document order.
type Doc struct {
	Elements []Element
}

// ByID returns the element with id, if any.
func (d *Doc) ByID(id string) (Element, bool) {
	for _, e := range d.Elements {
		if e.Attrs["id"] == id {
			return e, true
		}
	}
	return Element{}, false
}

// Find returns the elements with tag ("" for any) whose attribute attr has
// value ("" for any value, given the attribute is there).
func (d *Doc) Find(tag, attr, value string) []Element {
	var out []Element
	for _, e := range d.Elements {
		if tag != "" && e.Tag != tag {
			continue
		}
		if attr != "" {
			v, ok := e.Attrs[attr]
			if !ok || (value != "" && v != value) {
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

// Within reports whether element i is inside an element that match
// accepts.
func (d *Doc) Within(i int, match func(Element) bool) bool {
	for p := d.Elements[i].Parent; p >= 0; p = d.Elements[p].Parent {
		if match(d.Elements[p]) {
			return true
		}
	}
	return false
}

var (
	rawText  = regexp.MustCompile(`(?is)<(script|style)\b([^>]*)>.*?</(?:script|style)\s*>`)
	comment  = regexp.MustCompile(`(?s)<!--.*?-->`)
	tagRE    = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(/?)>`)
	attrRE   = regexp.MustCompile(`([a-zA-Z_:@][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?`)
	voidTags = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
		"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}
)

// Parse reads page and returns its elements and the problems found.
func Parse(page string) (*Doc, []string) {
	var problems []string
	bad := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
	}
	// Blank out comments and the bodies of script and style, keeping the
	// line count.
	blank := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '\n' {
				return r
			}
			return ' '
		}, s)
	}
	src := comment.ReplaceAllStringFunc(page, blank)
	src = rawText.ReplaceAllStringFunc(src, func(m string) string {
		open := strings.Index(m, ">") + 1
		close := strings.LastIndex(m, "</")
		return m[:open] + blank(m[open:close]) + m[close:]
	})
	lineAt := func(off int) int { return 1 + strings.Count(src[:off], "\n") }

	d := &Doc{}
	var stack []int
	for _, m := range tagRE.FindAllStringSubmatchIndex(src, -1) {
		closing := m[3] > m[2]
		tag := strings.ToLower(src[m[4]:m[5]])
		attrText := src[m[6]:m[7]]
		selfClose := m[9] > m[8]
		line := lineAt(m[0])
		if closing {
			if voidTags[tag] {
				bad(line, "</%s>: %s has no end tag", tag, tag)
				continue
			}
			if len(stack) == 0 {
				bad(line, "</%s> closes nothing", tag)
				continue
			}
			top := d.Elements[stack[len(stack)-1]]
			if top.Tag != tag {
				bad(line, "</%s> closes <%s> of line %d", tag, top.Tag, top.Line)
				// Recover: pop to the matching element if there is one.
				for i := len(stack) - 1; i >= 0; i-- {
					if d.Elements[stack[i]].Tag == tag {
						stack = stack[:i]
						break
					}
				}
				continue
			}
			stack = stack[:len(stack)-1]
			continue
		}
		e := Element{Tag: tag, Attrs: map[string]string{}, Parent: -1, Line: line}
		if len(stack) > 0 {
			e.Parent = stack[len(stack)-1]
		}
		for _, a := range attrRE.FindAllStringSubmatch(attrText, -1) {
			name := strings.ToLower(a[1])
			if _, dup := e.Attrs[name]; dup {
				bad(line, "<%s> has attribute %s twice", tag, name)
			}
			e.Attrs[name] = a[2] + a[3] + a[4]
		}
		d.Elements = append(d.Elements, e)
		if !voidTags[tag] && !selfClose {
			stack = append(stack, len(d.Elements)-1)
		}
	}
	for _, i := range stack {
		bad(d.Elements[i].Line, "<%s> is not closed", d.Elements[i].Tag)
	}
	problems = append(problems, d.check()...)
	return d, problems
}

// check looks at ids, labels and a few page-level things.
func (d *Doc) check() []string {
	var problems []string
	bad := func(e Element, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("line %d: ", e.Line)+fmt.Sprintf(format, args...))
	}
	ids := map[string]bool{}
	for _, e := range d.Elements {
		if id, ok := e.Attrs["id"]; ok {
			if id == "" {
				bad(e, "<%s> has an empty id", e.Tag)
			}
			if ids[id] {
				bad(e, "id %q is used twice", id)
			}
			ids[id] = true
		}
	}
	labelled := map[string]bool{}
	for _, e := range d.Elements {
		if e.Tag == "label" && e.Attrs["for"] != "" {
			if !ids[e.Attrs["for"]] {
				bad(e, "<label for=%q>: no element has that id", e.Attrs["for"])
			}
			labelled[e.Attrs["for"]] = true
		}
		for _, a := range []string{"aria-labelledby", "aria-describedby", "aria-controls"} {
			for _, ref := range strings.Fields(e.Attrs[a]) {
				if !ids[ref] {
					bad(e, "<%s %s=%q>: no element has id %q", e.Tag, a, e.Attrs[a], ref)
				}
			}
		}
		if e.Tag == "a" && e.Has("href") && strings.HasPrefix(e.Attrs["href"], "#") && len(e.Attrs["href"]) > 1 && !ids[e.Attrs["href"][1:]] {
			bad(e, "<a href=%q>: no element has that id", e.Attrs["href"])
		}
		if e.Tag == "button" && !e.Has("type") {
			bad(e, "<button> without a type (a form would take it for submit)")
		}
		if e.Tag == "img" && !e.Has("alt") {
			bad(e, "<img> without alt")
		}
	}
	for i, e := range d.Elements {
		if e.Tag != "input" && e.Tag != "select" && e.Tag != "textarea" {
			continue
		}
		switch e.Attrs["type"] {
		case "hidden", "submit", "button", "reset":
			continue
		}
		if labelled[e.Attrs["id"]] || e.Has("aria-label") || e.Has("aria-labelledby") || e.Has("title") ||
			d.Within(i, func(p Element) bool { return p.Tag == "label" }) {
			continue
		}
		bad(e, "<%s name=%q id=%q> has no label", e.Tag, e.Attrs["name"], e.Attrs["id"])
	}
	if html := d.Find("html", "", ""); len(html) != 1 || html[0].Attrs["lang"] == "" {
		problems = append(problems, "want one <html lang=...>")
	}
	if len(d.Find("title", "", "")) != 1 {
		problems = append(problems, "want one <title>")
	}
	if len(d.Find("meta", "name", "viewport")) != 1 {
		problems = append(problems, "want <meta name=viewport>")
	}
	if len(d.Find("main", "", "")) != 1 {
		problems = append(problems, "want one <main>")
	}
	if len(d.Find("h1", "", "")) != 1 {
		problems = append(problems, "want one <h1>")
	}
	return problems
}
