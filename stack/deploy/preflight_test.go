package deploy

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/stack"
)

// Proves: on a create, Input.Preflight runs after the one read that tells
// a create from an update and before anything else, is told the values
// the change set would use, and its problems come in one list with the
// parameters still missing (each with its hint, the preflight's over the
// input's), so that nothing is
// created and every problem is reported at once (trial A4).
func TestPreflightProblemsComeWithMissingParameters(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	d, _ := newTestDeployer(sim)
	in := testInput()
	in.Parameters = map[string]string{"PublicSubnetIds": "subnet-1,subnet-2"}
	in.ParameterHints = map[string]string{"VpcId": "find one with aws ec2 describe-vpcs"}
	var seen Prospect
	in.Preflight = func(_ context.Context, p Prospect) (*Findings, error) {
		seen = p
		return &Findings{Problems: []stack.Problem{{Key: "--public-subnets", Message: "subnet subnet-2 does not exist"}},
			Hints: map[string]string{"VpcId": "the region has no default VPC; find one with aws ec2 describe-vpcs"}}, nil
	}
	for _, run := range []func() error{
		func() error { _, err := d.Deploy(context.Background(), in); return err },
		func() error { _, err := d.Diff(context.Background(), in); return err },
	} {
		err := run()
		var ie *stack.ValidationError
		if !errors.As(err, &ie) || len(ie.Problems) != 2 {
			t.Fatalf("error = %v; want a *stack.ValidationError with 2 problems", err)
		}
		if ie.Problems[0].Key != "--vpc-id" || !strings.HasSuffix(ie.Problems[0].Message, "is required and the template has no default for it; set it with --vpc-id; the region has no default VPC; find one with aws ec2 describe-vpcs") ||
			ie.Problems[1].Message != "subnet subnet-2 does not exist" {
			t.Errorf("problems = %+v; want the missing VpcId with the preflight's hint (over the input's), then the preflight's problem", ie.Problems)
		}
		want := map[string]string{"PublicSubnetIds": "subnet-1,subnet-2", "ImageTag": "latest"}
		if !seen.Create || !maps.Equal(seen.Parameters, want) {
			t.Errorf("prospect = %+v; want a create with %v", seen, want)
		}
	}
	if acts := sim.actions(); !slices.Equal(acts, []string{"DescribeStacks", "DescribeStacks"}) {
		t.Errorf("calls = %v; want only the DescribeStacks of each run", acts)
	}
}

// Proves: the parameters Input.Preflight returns fill in what was not
// given (a default VPC's network), and on an update the prospect holds the
// stack's current values for the parameters not given.
func TestPreflightParameters(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	sim.onExecute = func(*simStack, *simChangeSet) *script { return createScript(resources(1), 5*time.Millisecond) }
	sim.changes = []simChange{{action: "Add", logicalID: "Cluster", resType: "AWS::ECS::Cluster"}}
	d, _ := newTestDeployer(sim)
	in := testInput()
	in.Parameters = nil
	in.Preflight = func(_ context.Context, p Prospect) (*Findings, error) {
		return &Findings{Parameters: map[string]string{"VpcId": "vpc-1", "PublicSubnetIds": "subnet-1,subnet-2"}}, nil
	}
	if _, err := d.Deploy(context.Background(), in); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	sent := formParams(sim.callsTo("CreateChangeSet")[0].Form)
	if sent["VpcId"] != "vpc-1" || sent["PublicSubnetIds"] != "subnet-1,subnet-2" {
		t.Errorf("parameters sent = %v; want the preflight's network", sent)
	}

	update := newSimulator(t)
	update.addStack("demo", statusUpdateComplete, map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "['subnet-1', 'subnet-2']", "ImageTag": "v1"})
	d, _ = newTestDeployer(update)
	in = testInput()
	in.Parameters = map[string]string{"ImageTag": "v2"}
	var seen Prospect
	in.Preflight = func(_ context.Context, p Prospect) (*Findings, error) {
		seen = p
		return nil, errors.New("stop here")
	}
	if _, err := d.Diff(context.Background(), in); err == nil || err.Error() != "stop here" {
		t.Fatalf("Diff error = %v; want the preflight's", err)
	}
	want := map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "subnet-1,subnet-2", "ImageTag": "v2"}
	if seen.Create || !maps.Equal(seen.Parameters, want) {
		t.Errorf("prospect = %+v; want an update with %v", seen, want)
	}
	if acts := update.actions(); slices.Contains(acts, "CreateChangeSet") {
		t.Errorf("calls = %v; a preflight error must stop before the change set", acts)
	}
}
