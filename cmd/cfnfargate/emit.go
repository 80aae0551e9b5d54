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
			o := emitOptions{Format: c.String("format"), Output: c.String("output"), Stdout: c.App.Writer, Stderr: c.App.ErrWriter, Build: stack.Build}
			if err := o.Validate(); err != nil {
				return err
			}
			s, err := readSettings(c)
			if err != nil {
				return err
			}
			o.Config, o.Warnings = s.Config, hardenedRemedies(s.Config.Warnings(), nil)
			return o.Execute()
		},
	}
}

// emitOptions are emit's (and env emit's) input: Validate checks the
// flags, and Execute builds the template and prints or writes it.
type emitOptions struct {
	Config   stack.Config
	Warnings []stack.Problem
	Format   string // yaml or json
	Output   string // a file, or "" (or -) for stdout
	Build    func(stack.Config) (format.Document, error)
	Stdout   io.Writer
	Stderr   io.Writer
}

// Validate checks the flags that are not settings.
func (o emitOptions) Validate() error {
	if o.Format != "yaml" && o.Format != "json" {
		return badInput(fmt.Errorf("--format: %q is not a template format: use yaml or json", o.Format))
	}
	return nil
}

// Execute builds the template and prints it, or writes it to Output; the
// warnings go to Stderr. A template that cannot be built writes nothing.
func (o emitOptions) Execute() error {
	doc, err := o.Build(o.Config)
	if err != nil {
		return badInput(err)
	}
	body, err := render(doc, o.Format)
	if err != nil {
		return err
	}
	printWarnings(o.Stderr, o.Warnings)
	if len(body) > deploy.MaxTemplateBody {
		fmt.Fprintf(o.Stderr, "cfnfargate: warning: the template is %d bytes, over the %d bytes CloudFormation takes inline; upload it to S3 (the console does this for you), as deploy cannot send it\n",
			len(body), deploy.MaxTemplateBody)
	}
	if o.Output != "" {
		return writeOutput(o.Output, body, o.Stdout, o.Stderr)
	}
	_, err = o.Stdout.Write(body)
	return err
}

// printWarnings prints the settings that are valid but likely wrong, each
// naming its flag.
func printWarnings(w io.Writer, problems []stack.Problem) {
	for _, p := range problems {
		fmt.Fprintf(w, "cfnfargate: warning: --%s: %s\n", p.Key, p.Message)
	}
}

func usageError(c *cli.Context, err error, _ bool) error {
	return badInput(fmt.Errorf("%s (see 'cfnfargate %s --help')", flagError(c.Command.Flags, err), c.Command.Name))
}

// renderTemplate builds the template and writes it as yaml or json.
func renderTemplate(cfg stack.Config, outFormat string) ([]byte, error) {
	doc, err := stack.Build(cfg)
	if err != nil {
		return nil, badInput(err)
	}
	return render(doc, outFormat)
}

// render writes a template as yaml or json.
func render(doc format.Document, outFormat string) ([]byte, error) {
	if outFormat == "json" {
		return format.JSON(doc)
	}
	return format.YAML(doc)
}
