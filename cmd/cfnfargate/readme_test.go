package main

import (
	"flag"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack"
)

var update = flag.Bool("update", false, "rewrite the README's generated sections (make golden)")

// placeholder is the `NAME` of a list setting's usage: urfave/cli shows the
// first back-quoted word as the flag's value.
var placeholder = regexp.MustCompile("`([^`]+)`")

// settingsMarkdown is the README's settings reference: one table per group
// of the settings table, with the flag, the variable, the default, the
// allowed values and the help, each taken from the row that --help uses.
func settingsMarkdown() string {
	defaults := stack.Default()
	var b strings.Builder
	for _, group := range stack.Groups() {
		fmt.Fprintf(&b, "\n#### %s\n\n| Flag and config key | Variable | Default | Allowed | What it does |\n|---|---|---|---|---|\n", group)
		for _, s := range settings {
			if s.Group != group {
				continue
			}
			flagText := "--" + s.Key
			if m := placeholder.FindStringSubmatch(s.Usage); m != nil && s.Kind() == stack.KindList {
				flagText += " " + m[1]
			}
			def := strings.Join(s.Value(defaults), ",")
			switch {
			case s.DefaultText != "":
				def = s.DefaultText
			case s.Kind() == stack.KindBool:
				def = "off"
			case def == "":
				def = "none"
			default:
				def = "`" + def + "`"
			}
			what := strings.ToUpper(s.Usage[:1]) + s.Usage[1:]
			if s.Notes != "" {
				what += ". " + s.Notes
			}
			if s.Hardened != "" {
				what += ". With hardened: `" + s.Hardened + "` unless given"
			}
			fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s |\n",
				flagText, envName(s.Key), def, cell(s.Allowed()), cell(what))
		}
	}
	return b.String()
}

// cell escapes the pipes of a Markdown table cell ("|| exit 1").
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// TestREADMESettings proves that the README's settings reference is what
// the settings table generates, so that the README's flags, variables,
// defaults and ranges cannot disagree with --help or the validation.
func TestREADMESettings(t *testing.T) {
	testenv.READMESection(t, "../../README.md", "settings", settingsMarkdown(), *update)
}
