package deploy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// StackStatus is what Status reports about a stack. Its JSON form is meant
// for scripts.
type StackStatus struct {
	Name   string `json:"name"`
	ID     string `json:"id"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Updated is the time of the last update, or of the creation for a
	// stack never updated.
	Updated               time.Time `json:"updated"`
	Created               time.Time `json:"created"`
	TerminationProtection bool      `json:"terminationProtection"`
	Outputs               []Output  `json:"outputs"`
	// Traffic is the production listener rule's split of a blue/green
	// service, and Deployment its latest ECS deployment; both are set by
	// the caller (Delivery), nil otherwise.
	Traffic    *Traffic         `json:"traffic,omitempty"`
	Deployment *DeploymentState `json:"deployment,omitempty"`
}

// Status describes a stack. For a stack that does not exist the error
// wraps ErrStackNotFound.
func (d *Deployer) Status(ctx context.Context, stackName string) (*StackStatus, error) {
	var check Check
	check.StackName(FieldStackName, stackName)
	if err := check.Err(); err != nil {
		return nil, err
	}
	// Status has no timeout of its own: only the caller ends ctx.
	stack, err := d.describe(ctx, stackName, 0)
	if err != nil {
		return nil, err
	}
	if stack == nil {
		return nil, fmt.Errorf("stack %s: %w", stackName, ErrStackNotFound)
	}
	st := &StackStatus{
		Name:                  aws.ToString(stack.StackName),
		ID:                    aws.ToString(stack.StackId),
		Status:                string(stack.StackStatus),
		Reason:                aws.ToString(stack.StackStatusReason),
		Created:               aws.ToTime(stack.CreationTime),
		Updated:               aws.ToTime(stack.CreationTime),
		TerminationProtection: aws.ToBool(stack.EnableTerminationProtection),
		Outputs:               outputs(stack.Outputs),
	}
	if stack.LastUpdatedTime != nil {
		st.Updated = *stack.LastUpdatedTime
	}
	return st, nil
}

// NextSteps are what the user can do about the stack's state, if it needs
// anything done: the steps WriteText's note describes in words.
func (s *StackStatus) NextSteps() []Step {
	_, steps := stateAdvice(stackRef{s.Name, s.ID}, s.Status)
	return steps
}

// WriteText writes the status for people: status, reason, last update in
// local time, and the outputs as a table of their own.
func (s *StackStatus) WriteText(w io.Writer) error {
	return s.writeText(w, time.Local)
}

// writeText writes the text of WriteText with times in loc. The outputs
// are aligned apart from the rows above them, so that a long output key
// does not push every value to the right.
func (s *StackStatus) writeText(w io.Writer, loc *time.Location) error {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Stack:\t%s\n", s.Name)
	fmt.Fprintf(tw, "Status:\t%s\n", s.Status)
	if s.Reason != "" {
		fmt.Fprintf(tw, "Reason:\t%s\n", s.Reason)
	}
	fmt.Fprintf(tw, "Last updated:\t%s\n", s.Updated.In(loc).Format(time.RFC1123))
	if advice, _ := stateAdvice(stackRef{s.Name, s.ID}, s.Status); advice != "" {
		fmt.Fprintf(tw, "Note:\t%s\n", advice)
	}
	if s.Traffic != nil {
		fmt.Fprintf(tw, "Traffic:\t%s\n", s.Traffic.Split())
	}
	if d := s.Deployment; d != nil {
		line := d.Status
		if d.Stage != "" {
			line += " at " + d.Stage
		}
		if len(d.TriggeredAlarms) > 0 {
			line += ", rolled back by alarm " + strings.Join(d.TriggeredAlarms, ", ")
		}
		fmt.Fprintf(tw, "Deployment:\t%s\n", line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Outputs) > 0 {
		b.WriteString("Outputs:\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, o := range s.Outputs {
			fmt.Fprintf(tw, "  %s\t%s\n", o.Key, o.Value)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	// tabwriter pads a cell even when nothing follows it on the line (an
	// output whose value is empty).
	var out strings.Builder
	for line := range strings.Lines(b.String()) {
		out.WriteString(strings.TrimRight(line, " \n"))
		out.WriteString("\n")
	}
	_, err := io.WriteString(w, out.String())
	return err
}
