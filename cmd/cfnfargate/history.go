package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// historyOptions are the options of cfnfargate history.
type historyOptions struct {
	operation
	JSON bool
	// Diff holds two release numbers to compare, or none.
	Diff []int
}

func historyCommand() *cli.Command {
	return &cli.Command{
		Name:      "history",
		Usage:     "list the stack's releases, newest first, or compare two",
		UsageText: "cfnfargate history --stack NAME [--json]\ncfnfargate history --stack NAME --diff N,M",
		Description: "Every successful deploy and rollback records a release in SSM Parameter Store, under\n" +
			"/cfnfargate/STACK/ID/: when, who (the caller's ARN), the image and its digest, the parameters, the settings and the template's SHA-256.\n" +
			"The history belongs to the stack: a stack deleted and created again under the same name starts a new one.\n" +
			"--diff N,M shows what changed from release N to release M, the template line by line.\n" +
			"Exit status: 0 listed, 1 failed, 2 bad input.",
		Flags: operationFlags(
			&cli.BoolFlag{Name: "json", Usage: "print the releases as JSON"},
			&cli.StringFlag{Name: "diff", Usage: "compare two releases: `N,M`"},
		),
		OnUsageError: usageError,
		Action: operationAction(func(c *cli.Context) error {
			o := historyOptions{operation: operationOf(c), JSON: c.Bool("json")}
			if c.IsSet("diff") {
				var err error
				if o.Diff, err = releasePair(c.String("diff")); err != nil {
					return badInput(fmt.Errorf("--diff: %w", err))
				}
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Execute(c.Context)
		}),
	}
}

// releasePair reads "N,M" (or "N M").
func releasePair(s string) ([]int, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	if len(fields) != 2 {
		return nil, fmt.Errorf("%q: give two release numbers, such as 3,5", s)
	}
	pair := make([]int, 2)
	for i, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: %q is not a release number (1 or more)", s, f)
		}
		pair[i] = n
	}
	return pair, nil
}

// Validate checks the flags without calling AWS.
func (o *historyOptions) Validate() error {
	var check deployCheck
	o.validate(&check.Check)
	if len(o.Diff) != 0 && len(o.Diff) != 2 {
		check.Add("--diff", "give two release numbers, such as 3,5")
	}
	return check.err()
}

// Execute lists or compares releases.
func (o *historyOptions) Execute(ctx context.Context) error {
	_, clients, err := o.clients(ctx)
	if err != nil {
		return err
	}
	releases, err := operate.History(ctx, clients, o.Stack)
	if errors.Is(err, deploy.ErrStackNotFound) {
		// A history belongs to a stack; a deleted one's stays in SSM.
		where := ""
		if region, _ := deploy.Region(ctx, o.Access); region != "" {
			where = " in " + region
		}
		return fmt.Errorf("%w%s; the histories of deleted stacks named %s stay in SSM Parameter Store under %s/ (aws ssm get-parameters-by-path --path %s --recursive)",
			err, where, o.Stack, operate.HistoryPath(o.Stack, ""), operate.HistoryPath(o.Stack, ""))
	}
	if err != nil {
		return err
	}
	if len(releases) == 0 {
		return fmt.Errorf("stack %s: %w", o.Stack, operate.ErrNoReleases)
	}
	if len(o.Diff) == 2 {
		a, err := operate.FindRelease(releases, o.Diff[0])
		if err != nil {
			return badInput(fmt.Errorf("--diff: %w", err))
		}
		b, err := operate.FindRelease(releases, o.Diff[1])
		if err != nil {
			return badInput(fmt.Errorf("--diff: %w", err))
		}
		d, err := operate.DiffReleases(ctx, clients, o.Stack, a, b)
		if err != nil {
			return err
		}
		if o.JSON {
			return json.NewEncoder(o.Stdout).Encode(d)
		}
		return writeReleaseDiff(o.Stdout, d)
	}
	if o.JSON {
		enc := json.NewEncoder(o.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(releases)
	}
	return writeReleases(o.Stdout, releases)
}

// writeReleases prints releases as a table, newest first.
func writeReleases(w io.Writer, releases []operate.Release) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RELEASE\tTIME\tACTION\tBY\tIMAGE\tDIGEST\tTEMPLATE")
	for _, r := range releases {
		action := r.Action
		if r.RollbackOf != 0 {
			action += " to " + strconv.Itoa(r.RollbackOf)
		}
		if r.NoWait {
			action += " (not waited for)"
		}
		sum := r.TemplateSHA256
		if len(sum) > 12 {
			sum = sum[:12]
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Number, r.Time.UTC().Format(time.RFC3339), action, dash(r.By),
			dash(r.Image), dash(shortDigest(r.ImageDigest)), sum)
	}
	return tw.Flush()
}

// writeReleaseDiff prints what changed between two releases.
func writeReleaseDiff(w io.Writer, d *operate.ReleaseDiff) error {
	fmt.Fprintf(w, "From release %d to release %d:\n", d.From, d.To)
	if len(d.Changes) == 0 {
		_, err := fmt.Fprintln(w, "  no changes")
		return err
	}
	for _, c := range d.Changes {
		fmt.Fprintf(w, "  %s: %s -> %s\n", c.Field, dash(c.From), dash(c.To))
	}
	if len(d.TemplateLines) > 0 {
		fmt.Fprintln(w, "Template:")
		for _, l := range d.TemplateLines {
			fmt.Fprintln(w, "  "+l)
		}
	}
	return nil
}
