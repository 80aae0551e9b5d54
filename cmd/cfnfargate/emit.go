package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/format"
)

func emitCommand() *cli.Command {
	return &cli.Command{
		Name:  "emit",
		Usage: "print the CloudFormation template",
		Description: "Builds the template from the settings and prints it, or writes it to --output.\n" +
			"Settings come from flags, then CFNFARGATE_* variables, then --config, then built-in defaults.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "format", Value: "yaml", Usage: "template format: yaml or json", EnvVars: []string{envName("format")}},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the template to `FILE` instead of stdout; - is stdout", EnvVars: []string{envName("output")}, TakesFile: true},
			configFlag(),
		}, settingsFlags()...),
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			outFormat := c.String("format")
			if outFormat != "yaml" && outFormat != "json" {
				return badInput(fmt.Errorf("--format: %q is not a template format: use yaml or json", outFormat))
			}
			s, err := readSettings(c)
			if err != nil {
				return err
			}
			body, err := renderTemplate(s.Config, outFormat)
			if err != nil {
				return err
			}
			printWarnings(c.App.ErrWriter, s.Config.Warnings())
			if len(body) > deploy.MaxTemplateBody {
				fmt.Fprintf(c.App.ErrWriter, "cfnfargate: warning: the template is %d bytes, over the %d bytes CloudFormation takes inline; upload it to S3 (the console does this for you), as deploy cannot send it\n",
					len(body), deploy.MaxTemplateBody)
			}
			if path := c.String("output"); path != "" {
				return writeOutput(path, body, c.App.Writer, c.App.ErrWriter)
			}
			_, err = c.App.Writer.Write(body)
			return err
		},
	}
}

// printWarnings prints the settings that are valid but likely wrong, each
// naming its flag.
func printWarnings(w io.Writer, problems []stack.Problem) {
	for _, p := range problems {
		fmt.Fprintf(w, "cfnfargate: warning: --%s: %s\n", p.Key, p.Message)
	}
}

func usageError(c *cli.Context, err error, _ bool) error {
	return badInput(fmt.Errorf("%w (see 'cfnfargate %s --help')", err, c.Command.Name))
}

// renderTemplate builds the template and writes it as yaml or json.
func renderTemplate(cfg stack.Config, outFormat string) ([]byte, error) {
	doc, err := stack.Build(cfg)
	if err != nil {
		return nil, badInput(err)
	}
	if outFormat == "json" {
		return format.JSON(doc)
	}
	return format.YAML(doc)
}
