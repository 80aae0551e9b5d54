package deploy

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// fakeIAM is an IAMAPI that keeps roles in a map and answers the errors a
// test asks for. It stands in for IAM where moto cannot: moto has no
// permissions, so it never answers AccessDenied, and it names the roles it
// creates differently from IAM (AWSServiceRoleForecs).
type fakeIAM struct {
	mu        sync.Mutex
	roles     map[string]bool
	getErr    error // answered by GetRole instead of its result
	createErr error // answered by CreateServiceLinkedRole
	calls     []string
}

// roleNames is what IAM names the role of each service.
var roleNames = map[string]string{
	"ecs.amazonaws.com":                         "AWSServiceRoleForECS",
	"ecs.application-autoscaling.amazonaws.com": "AWSServiceRoleForApplicationAutoScaling_ECSService",
}

func (f *fakeIAM) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.RoleName)
	f.calls = append(f.calls, "GetRole "+name)
	switch {
	case f.getErr != nil:
		return nil, f.getErr
	case !f.roles[name]:
		return nil, &iamtypes.NoSuchEntityException{Message: aws.String("The role with name " + name + " cannot be found.")}
	}
	return &iam.GetRoleOutput{Role: &iamtypes.Role{RoleName: aws.String(name)}}, nil
}

func (f *fakeIAM) CreateServiceLinkedRole(_ context.Context, in *iam.CreateServiceLinkedRoleInput, _ ...func(*iam.Options)) (*iam.CreateServiceLinkedRoleOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	service := aws.ToString(in.AWSServiceName)
	f.calls = append(f.calls, "CreateServiceLinkedRole "+service)
	if f.createErr != nil {
		return nil, f.createErr
	}
	f.roles[roleNames[service]] = true
	return &iam.CreateServiceLinkedRoleOutput{Role: &iamtypes.Role{RoleName: aws.String(roleNames[service])}}, nil
}

func (f *fakeIAM) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

var (
	errAccessDenied = &smithy.GenericAPIError{Code: "AccessDenied",
		Message: "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: iam:GetRole"}
	errRoleTaken = &smithy.GenericAPIError{Code: "InvalidInput",
		Message: "Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix."}
)

var autoscalingTemplate = strings.Replace(testTemplate, "Resources:\n",
	"Resources:\n  ScalableTarget:\n    Type: AWS::ApplicationAutoScaling::ScalableTarget\n", 1)

// Proves (with a fake IAM, against the simulated CloudFormation API): before
// a create, Deploy creates the service-linked roles the template needs and
// only those, leaves existing ones alone, treats "has been taken" as
// success, and waits RoleWait after creating one before executing, and only
// then. Without permission (AccessDenied, which moto cannot produce) it
// deploys anyway, with a warning, in Result.Warnings and as a Note, that
// names the command to run. An update checks only the Application Auto
// Scaling role, and only for a template that scales: autoscaling turned on
// later may be the account's first use of it, while a stack that exists has
// its cluster, so the ECS role.
//
// The wait is told by the sleep Deploy asks for, not by the clock, which a
// slow runner under -race would make flaky.
func TestDeployEnsuresServiceLinkedRoles(t *testing.T) {
	t.Parallel()
	const ecsRole, scalingRole = "AWSServiceRoleForECS", "AWSServiceRoleForApplicationAutoScaling_ECSService"
	tests := []struct {
		name      string
		template  string
		existing  []string
		update    bool
		getErr    error
		createErr error
		wantCalls []string
		waited    bool
		warning   string
		// warnFor is the service whose role the warning is about; empty
		// means ecs.amazonaws.com.
		warnFor string
	}{
		{name: "missing role is created", template: testTemplate,
			wantCalls: []string{"GetRole " + ecsRole, "CreateServiceLinkedRole ecs.amazonaws.com"}, waited: true},
		{name: "existing role is left alone", template: testTemplate, existing: []string{ecsRole},
			wantCalls: []string{"GetRole " + ecsRole}},
		{name: "autoscaling needs its role too", template: autoscalingTemplate, existing: []string{ecsRole},
			wantCalls: []string{"GetRole " + ecsRole, "GetRole " + scalingRole, "CreateServiceLinkedRole ecs.application-autoscaling.amazonaws.com"},
			waited:    true},
		{name: "no ECS resources, no role", template: motoTemplate},
		{name: "update without autoscaling touches no role", template: testTemplate, update: true},
		{name: "update that turns on autoscaling creates its role", template: autoscalingTemplate, update: true,
			wantCalls: []string{"GetRole " + scalingRole, "CreateServiceLinkedRole ecs.application-autoscaling.amazonaws.com"}, waited: true},
		{name: "update with autoscaling whose role exists", template: autoscalingTemplate, update: true, existing: []string{scalingRole},
			wantCalls: []string{"GetRole " + scalingRole}},
		{name: "update with autoscaling, no permission to read", template: autoscalingTemplate, update: true, getErr: errAccessDenied,
			wantCalls: []string{"GetRole " + scalingRole}, warning: "AccessDenied", warnFor: "ecs.application-autoscaling.amazonaws.com"},
		{name: "created meanwhile by someone else", template: testTemplate, createErr: errRoleTaken,
			wantCalls: []string{"GetRole " + ecsRole, "CreateServiceLinkedRole ecs.amazonaws.com"}},
		{name: "no permission to read", template: testTemplate, getErr: errAccessDenied,
			wantCalls: []string{"GetRole " + ecsRole}, warning: "AccessDenied: User: arn:aws:iam::123456789012:user/dev is not authorized"},
		{name: "no permission to create", template: testTemplate,
			createErr: &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: iam:CreateServiceLinkedRole"},
			wantCalls: []string{"GetRole " + ecsRole, "CreateServiceLinkedRole ecs.amazonaws.com"},
			warning:   "iam:CreateServiceLinkedRole"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSimulator(t)
			if tt.update {
				sim.addStack("demo", statusUpdateComplete, map[string]string{"VpcId": "vpc-0123abcd", "PublicSubnetIds": "x", "ImageTag": "v1"})
			}
			sim.changes = []simChange{{action: "Add", logicalID: "Cluster", resType: typeCluster}}
			sim.onExecute = func(*simStack, *simChangeSet) *script {
				if tt.update {
					return updateScript(resources(1), 5*time.Millisecond)
				}
				return createScript(resources(1), 5*time.Millisecond)
			}
			fake := &fakeIAM{roles: map[string]bool{}, getErr: tt.getErr, createErr: tt.createErr}
			for _, r := range tt.existing {
				fake.roles[r] = true
			}
			d, rec := newTestDeployer(sim)
			d.IAM = fake
			// Far longer than the deploy takes, so a role created in it
			// always leaves some of the wait to do.
			d.RoleWait = time.Hour
			var pauses []time.Duration
			d.pause = func(_ context.Context, delay time.Duration) error {
				pauses = append(pauses, delay)
				return nil
			}
			in := testInput()
			in.TemplateBody = tt.template
			if tt.template == motoTemplate {
				in.Parameters = map[string]string{"TopicName": "demo"}
			}

			res, err := d.Deploy(context.Background(), in)
			if err != nil {
				t.Fatalf("Deploy: %v", err)
			}
			if got := fake.called(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("IAM calls %v; want %v", got, tt.wantCalls)
			}
			if execute := sim.callsTo("ExecuteChangeSet"); len(execute) != 1 {
				t.Fatalf("%d executions; want 1", len(execute))
			}
			noted := strings.Contains(rec.notes(), "for IAM to make the new service-linked role visible")
			if waited := len(pauses) == 1 && pauses[0] > 0 && pauses[0] <= d.RoleWait; waited != tt.waited || noted != tt.waited || len(pauses) > 1 {
				t.Errorf("paused %v, noted the wait %v; want one pause of at most RoleWait (%s), noted: %v", pauses, noted, d.RoleWait, tt.waited)
			}
			if tt.warning == "" {
				if len(res.Warnings) != 0 {
					t.Errorf("Warnings = %q; want none", res.Warnings)
				}
				return
			}
			warnFor := tt.warnFor
			if warnFor == "" {
				warnFor = "ecs.amazonaws.com"
			}
			if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], tt.warning) ||
				!strings.Contains(stepsText(res.NextSteps), "aws iam create-service-linked-role --aws-service-name "+warnFor+" @") {
				t.Fatalf("Warnings = %q, steps %q; want one with %q and the command to run", res.Warnings, stepsText(res.NextSteps), tt.warning)
			}
			if !strings.Contains(rec.notes(), res.Warnings[0]) {
				t.Errorf("notes %q do not report the warning", rec.notes())
			}
		})
	}
}

// Proves: a role check that gets no answer before Ctrl-C ends the deploy
// with nothing changed: no change set is created.
func TestDeployInterruptedWhileEnsuringRoles(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	d, _ := newTestDeployer(sim)
	ctx, cancel := context.WithCancel(context.Background())
	d.IAM = blockingIAM{cancel: cancel}
	_, err := d.Deploy(ctx, testInput())
	if ExitCode(err) != ExitInterrupted || !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("error = %v; want an interruption that changed nothing", err)
	}
	if len(sim.callsTo("CreateChangeSet")) != 0 {
		t.Errorf("calls %v; want no change set", sim.actions())
	}
}

// blockingIAM cancels the deploy when asked for a role, and answers only
// when the context ends, as a call cut short by Ctrl-C.
type blockingIAM struct{ cancel context.CancelFunc }

func (b blockingIAM) GetRole(ctx context.Context, _ *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	b.cancel()
	<-ctx.Done()
	return nil, ctx.Err()
}

func (b blockingIAM) CreateServiceLinkedRole(context.Context, *iam.CreateServiceLinkedRoleInput, ...func(*iam.Options)) (*iam.CreateServiceLinkedRoleOutput, error) {
	panic("not reached")
}
