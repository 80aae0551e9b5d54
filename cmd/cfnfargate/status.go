package main

import (
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "print the stack's status, last update and outputs",
		Flags: append(awsFlags(),
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text, or json for scripts", EnvVars: []string{envName("status-format")}},
		),
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			outFormat := c.String("format")
			if outFormat != "text" && outFormat != "json" {
				return badInput(fmt.Errorf("--format: %q is not a status format: use text or json", outFormat))
			}
			d, err := newDeployer(c, c.App.ErrWriter)
			if err != nil {
				return err
			}
			st, err := d.Status(c.Context, c.String("stack"))
			if err != nil {
				return err
			}
			if outFormat == "json" {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			return st.WriteText(c.App.Writer)
		},
	}
}
