package deploy

import (
	"context"
	"fmt"
	"io"
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
}

// Status describes a stack. For a stack that does not exist the error
// wraps ErrStackNotFound.
func (d *Deployer) Status(ctx context.Context, stackName string) (*StackStatus, error) {
	var check Check
	check.StackName("--stack", stackName)
	if err := check.Err(); err != nil {
		return nil, err
	}
	stack, err := d.describe(ctx, stackName)
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

// WriteText writes the status for people: status, reason, last update and
// the outputs as an aligned table.
func (s *StackStatus) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Stack:\t%s\n", s.Name)
	fmt.Fprintf(tw, "Status:\t%s\n", s.Status)
	if s.Reason != "" {
		fmt.Fprintf(tw, "Reason:\t%s\n", s.Reason)
	}
	fmt.Fprintf(tw, "Last updated:\t%s\n", s.Updated.Local().Format(time.RFC1123))
	if advice := stateAdvice(s.Name, s.Status); advice != "" {
		fmt.Fprintf(tw, "Note:\t%s\n", advice)
	}
	if len(s.Outputs) > 0 {
		fmt.Fprintf(tw, "Outputs:\t\n")
		for _, o := range s.Outputs {
			fmt.Fprintf(tw, "  %s\t%s\n", o.Key, o.Value)
		}
	}
	return tw.Flush()
}
