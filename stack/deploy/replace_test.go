package deploy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	typeLB      = "AWS::ElasticLoadBalancingV2::LoadBalancer"
	typeTG      = "AWS::ElasticLoadBalancingV2::TargetGroup"
	typeSG      = "AWS::EC2::SecurityGroup"
	typeCluster = "AWS::ECS::Cluster"
	typeLogs    = "AWS::Logs::LogGroup"
	typeService = "AWS::ECS::Service"
)

// Proves: Plan.Replacements picks out exactly the replacements that need a
// decision: a Modify with Replacement True or Conditional of a load
// balancer, target group, security group, cluster, ECS service or log
// group, and a Remove paired with an Add of the same such type (a changed
// logical ID); not in-place modifications, not other types, not a plain
// Remove or Add.
func TestPlanReplacements(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		changes []Change
		want    []string // LogicalID/Previous/Conditional of each replacement
	}{
		{name: "load balancer replaced", changes: []Change{
			{Action: "Modify", LogicalID: "LoadBalancer", ResourceType: typeLB, Replacement: "True", ReplacementCauses: []string{"Scheme"}},
		}, want: []string{"LoadBalancer//false"}},
		{name: "conditional replacements of every guarded type", changes: []Change{
			{Action: "Modify", LogicalID: "TargetGroup", ResourceType: typeTG, Replacement: "Conditional"},
			{Action: "Modify", LogicalID: "ServiceSG", ResourceType: typeSG, Replacement: "True"},
			{Action: "Modify", LogicalID: "Cluster", ResourceType: typeCluster, Replacement: "True"},
			{Action: "Modify", LogicalID: "LogGroup", ResourceType: typeLogs, Replacement: "Conditional"},
			{Action: "Modify", LogicalID: "Service", ResourceType: typeService, Replacement: "Conditional"},
		}, want: []string{"TargetGroup//true", "ServiceSG//false", "Cluster//false", "LogGroup//true", "Service//true"}},
		// Cluster is create-only on AWS::ECS::Service: moving to an
		// existing cluster removes the stack's own and replaces the service.
		{name: "service moves to an existing cluster", changes: []Change{
			{Action: "Remove", LogicalID: "Cluster", ResourceType: typeCluster},
			{Action: "Modify", LogicalID: "Service", ResourceType: typeService, Replacement: "True", ReplacementCauses: []string{"Cluster"}},
		}, want: []string{"Service//false"}},
		{name: "in-place modifications", changes: []Change{
			{Action: "Modify", LogicalID: "LoadBalancer", ResourceType: typeLB, Replacement: "False"},
			{Action: "Modify", LogicalID: "Cluster", ResourceType: typeCluster},
		}},
		{name: "other types replaced", changes: []Change{
			{Action: "Modify", LogicalID: "TaskDefinition", ResourceType: "AWS::ECS::TaskDefinition", Replacement: "True"},
			{Action: "Remove", LogicalID: "OldRole", ResourceType: "AWS::IAM::Role"},
			{Action: "Add", LogicalID: "NewRole", ResourceType: "AWS::IAM::Role"},
		}},
		{name: "renamed log group", changes: []Change{
			{Action: "Add", LogicalID: "AppLogs", ResourceType: typeLogs},
			{Action: "Remove", LogicalID: "Logs", ResourceType: typeLogs},
		}, want: []string{"AppLogs/Logs/false"}},
		{name: "removal without an addition, addition without a removal", changes: []Change{
			{Action: "Remove", LogicalID: "OldLogs", ResourceType: typeLogs},
			{Action: "Add", LogicalID: "NewCluster", ResourceType: typeCluster},
		}},
		{name: "two security groups renamed, one added", changes: []Change{
			{Action: "Remove", LogicalID: "SG1", ResourceType: typeSG},
			{Action: "Remove", LogicalID: "SG2", ResourceType: typeSG},
			{Action: "Add", LogicalID: "NewSG1", ResourceType: typeSG},
		}, want: []string{"NewSG1/SG1/false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range (Plan{Changes: tt.changes}).Replacements() {
				got = append(got, r.LogicalID+"/"+r.Previous+"/"+map[bool]string{true: "true", false: "false"}[r.Conditional])
				if r.Meaning == "" || r.Meaning != replacementMeanings[r.ResourceType] {
					t.Errorf("%s: meaning %q; want the meaning of %s", r.LogicalID, r.Meaning, r.ResourceType)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Replacements = %v; want %v", got, tt.want)
			}
		})
	}
}

// Proves: each replacement reads as what is replaced, why and what it
// means, in the words the README promises.
func TestReplacementString(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		r    Replacement
		want []string
	}{
		{Replacement{LogicalID: "LoadBalancer", ResourceType: typeLB, Causes: []string{"Scheme"}, Meaning: replacementMeanings[typeLB]},
			[]string{"LoadBalancer (AWS::ElasticLoadBalancingV2::LoadBalancer) is replaced because Scheme changes", "new DNS name", "connections are dropped"}},
		{Replacement{LogicalID: "AppLogs", ResourceType: typeLogs, Previous: "Logs", Meaning: replacementMeanings[typeLogs]},
			[]string{"AppLogs (AWS::Logs::LogGroup) replaces Logs", "deleted with all its logs"}},
		{Replacement{LogicalID: "Cluster", ResourceType: typeCluster, Conditional: true, Meaning: replacementMeanings[typeCluster]},
			[]string{"may be replaced", "every task restarts"}},
		{Replacement{LogicalID: "TG", ResourceType: typeTG, Meaning: replacementMeanings[typeTG]},
			[]string{"new, empty target group", "HTTP 503 for every request", "until the new deployment has a healthy task in the new group"}},
		{Replacement{LogicalID: "Service", ResourceType: typeService, Causes: []string{"Cluster"}, Meaning: replacementMeanings[typeService]},
			[]string{"Service (AWS::ECS::Service) is replaced because Cluster changes", "starts all its tasks from scratch",
				"the old service is deleted with its tasks", "every task restarts"}},
		{Replacement{LogicalID: "SG", ResourceType: typeSG, Meaning: replacementMeanings[typeSG]}, []string{"short window of errors"}},
	} {
		for _, w := range tt.want {
			if !strings.Contains(tt.r.String(), w) {
				t.Errorf("%q lacks %q", tt.r.String(), w)
			}
		}
	}
}

// Proves, against the SIMULATED CloudFormation API (moto's change sets
// never carry Replacement): a change set that replaces the load balancer is
// not executed without AllowReplacement or a confirmation; it is deleted,
// the plan is still reported, and the error lists the replacement and says
// nothing was changed. With AllowReplacement, or a confirmation, it runs.
// Ctrl-C while asking deletes the change set too.
func TestDeployGuardsReplacements(t *testing.T) {
	t.Parallel()
	yes := func(context.Context, []Replacement) (bool, error) { return true, nil }
	no := func(context.Context, []Replacement) (bool, error) { return false, nil }
	tests := []struct {
		name      string
		allow     bool
		confirm   func(context.Context, []Replacement) (bool, error)
		interrupt bool
		executed  bool
	}{
		{name: "refused without a flag or a question"},
		{name: "refused when not confirmed", confirm: no},
		{name: "interrupted while asking", interrupt: true},
		{name: "allowed", allow: true, executed: true},
		{name: "confirmed", confirm: yes, executed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSimulator(t)
			sim.addStack("demo", statusUpdateComplete, map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "x", "ImageTag": "v1"})
			sim.changes = []simChange{
				{action: "Modify", logicalID: "LoadBalancer", resType: typeLB, replacement: "True", recreate: map[string]string{"Scheme": "Always"}},
				{action: "Modify", logicalID: "Service", resType: "AWS::ECS::Service", replacement: "False"},
			}
			sim.onExecute = func(*simStack, *simChangeSet) *script { return updateScript(resources(2), 5*time.Millisecond) }
			d, rec := newTestDeployer(sim)
			in := testInput()
			in.AllowReplacement = tt.allow
			in.ConfirmReplacement = tt.confirm
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var asked []Replacement
			if tt.interrupt {
				in.ConfirmReplacement = func(ctx context.Context, r []Replacement) (bool, error) {
					asked = r
					cancel()
					<-ctx.Done()
					return false, ctx.Err()
				}
			}

			res, err := d.Deploy(ctx, in)
			if len(rec.plans()) != 1 {
				t.Errorf("%d plans reported; want the plan shown before deciding", len(rec.plans()))
			}
			executions := len(sim.callsTo("ExecuteChangeSet"))
			if tt.executed {
				if err != nil || res.Status != statusUpdateComplete || executions != 1 {
					t.Fatalf("Deploy = %+v, %v, %d executions; want the update executed", res, err, executions)
				}
				return
			}
			if executions != 0 {
				t.Errorf("the change set was executed")
			}
			if dels := sim.callsTo("DeleteChangeSet"); len(dels) != 1 {
				t.Errorf("calls %v; want the change set deleted", sim.actions())
			}
			if len(sim.callsTo("DeleteStack")) != 0 {
				t.Error("the existing stack was deleted")
			}
			if tt.interrupt {
				var ie *InterruptedError
				if !errors.As(err, &ie) || !strings.Contains(err.Error(), "nothing was changed") || len(asked) != 1 {
					t.Errorf("error = %v, asked about %v; want *InterruptedError, nothing changed, after asking about one", err, asked)
				}
				return
			}
			var re *ReplacementError
			if !errors.As(err, &re) || ExitCode(err) != ExitFailure {
				t.Fatalf("error = %v (%T); want *ReplacementError, exit 1", err, err)
			}
			if len(re.Replacements) != 1 || re.Replacements[0].LogicalID != "LoadBalancer" ||
				!strings.Contains(err.Error(), "new DNS name") || !strings.Contains(err.Error(), "nothing was changed") {
				t.Errorf("error %q; want the load balancer's replacement, its meaning and that nothing was changed", err)
			}
		})
	}
}
