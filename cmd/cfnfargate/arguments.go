package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/urfave/cli/v2"
)

// prepared runs a command's action after the checks every command shares:
// no positional arguments, and, for a command that builds no template, the
// config file (readSettings reads it for the others, so that one run
// reports every problem).
func prepared(action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		if err := rejectArguments(c); err != nil {
			return err
		}
		if !buildsTemplate(c.Command) {
			if err := loadOptions(c); err != nil {
				return err
			}
		}
		return action(c)
	}
}

// buildsTemplate reports whether cmd takes the template settings, and so
// reads the config file with them (readSettings). The environment's name
// alone is not a template: env status and env delete read the file as
// status and delete do (loadOptions).
func buildsTemplate(cmd *cli.Command) bool {
	for _, f := range cmd.Flags {
		if name := f.Names()[0]; isSetting(name) && name != stack.KeyEnvironment {
			return true
		}
	}
	return false
}

// rejectArguments refuses positional arguments: every command takes flags
// only. Go's flag parsing stops at the first word that is not a flag, so
// the word would otherwise be dropped with every flag after it; and a
// switch takes no separate value, so `--spot false` turns Spot on.
func rejectArguments(c *cli.Context) error {
	args := c.Args().Slice()
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unexpected argument %q: cfnfargate %s takes flags only", args[0], c.Command.Name)
	if flag := switchBefore(c, len(args)); flag != "" {
		if _, err := strconv.ParseBool(args[0]); err == nil {
			msg = fmt.Sprintf("unexpected argument %q after %s: %s is a switch and takes no separate value; write %s=%s", args[0], flag, flag, flag, args[0])
		} else {
			msg += fmt.Sprintf("; %s is a switch and takes no value (%s=false turns it off)", flag, flag)
		}
	}
	return badInput(fmt.Errorf("%s (see 'cfnfargate %s --help')", msg, c.Command.Name))
}

// switchBefore returns the boolean flag, as written, just before the n
// positional arguments of c, or "".
func switchBefore(c *cli.Context, n int) string {
	lineage := c.Lineage()
	if len(lineage) < 2 {
		return ""
	}
	// The parent's arguments are the command's name and all that follows.
	all := lineage[1].Args().Slice()
	i := len(all) - n - 1
	if i < 1 {
		return ""
	}
	word := all[i]
	name := strings.TrimLeft(word, "-")
	if name == word || strings.Contains(name, "=") {
		return ""
	}
	for _, f := range c.Command.Flags {
		if _, ok := f.(*cli.BoolFlag); !ok {
			continue
		}
		for _, n := range f.Names() {
			if n == name {
				return word
			}
		}
	}
	return ""
}
