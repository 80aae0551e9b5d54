package operate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func fakePlugin(string) (string, error) { return "/opt/fake/session-manager-plugin", nil }

// Proves (against the simulator: moto has no ECS Exec) that Exec picks the
// only running task, starts an interactive session in the application
// container, and hands the session-manager-plugin the arguments the aws
// CLI passes: the session, the region, StartSession, an empty profile, the
// target ecs:CLUSTER_TASK_RUNTIMEID and the ECS endpoint.
func TestExecSession(t *testing.T) {
	sim := newJSONSim(t)
	sim.on("ListTasks", simAnswer{body: map[string]any{"taskArns": []string{taskARN(taskA)}}})
	sim.on("DescribeTasks", simAnswer{body: map[string]any{"tasks": []any{simTask(taskA, "RUNNING", 5000, nil, "")}}})
	sim.on("ExecuteCommand", simAnswer{body: map[string]any{"clusterArn": "c", "containerName": "app", "interactive": true,
		"session": map[string]any{"sessionId": "ecs-execute-command-1", "streamUrl": "wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/x", "tokenValue": "tok"}}})
	c := sim.clients()
	c.ECSEndpoint = "https://ecs.example.test"
	s, err := Exec(context.Background(), c, simService(), ExecOptions{Command: "ls -l", LookPath: fakePlugin})
	if err != nil {
		t.Fatal(err)
	}
	if s.Path != "/opt/fake/session-manager-plugin" || len(s.Args) != 6 || s.Args[1] != "us-east-1" || s.Args[2] != "StartSession" || s.Args[3] != "" ||
		s.Args[4] != `{"Target":"ecs:shop-cluster_`+taskA+`_rt-0123"}` || s.Args[5] != "https://ecs.example.test" {
		t.Errorf("plugin command = %s %q", s.Path, s.Args)
	}
	var session map[string]string
	if err := json.Unmarshal([]byte(s.Args[0]), &session); err != nil || session["SessionId"] != "ecs-execute-command-1" || session["TokenValue"] != "tok" || session["StreamUrl"] == "" {
		t.Errorf("session argument %s: %v", s.Args[0], err)
	}
	req := sim.sent("ExecuteCommand")[0]
	if req["interactive"] != true || req["command"] != "ls -l" || req["container"] != "app" || req["task"] != taskARN(taskA) || req["cluster"] != "shop-cluster" {
		t.Errorf("ExecuteCommand request = %v", req)
	}
}

// Proves the checks before a session: the plugin, ECS Exec on the service,
// a RUNNING task, and a choice among several; none of them starts one.
func TestExecChecks(t *testing.T) {
	sim := newJSONSim(t)
	sim.on("ListTasks", simAnswer{body: map[string]any{"taskArns": []string{taskARN(taskA), taskARN(taskB)}}})
	sim.on("DescribeTasks", simAnswer{body: map[string]any{"tasks": []any{
		simTask(taskA, "RUNNING", 5000, nil, ""), simTask(taskB, "STOPPED", 4000, 0, ""),
	}}})
	c := sim.clients()
	missing := func(string) (string, error) { return "", exec.ErrNotFound }
	var pm *PluginMissingError
	if _, err := Exec(context.Background(), c, simService(), ExecOptions{LookPath: missing}); !errors.As(err, &pm) {
		t.Errorf("missing plugin: %v", err)
	}
	off := simService()
	off.ExecEnabled = false
	if _, err := Exec(context.Background(), c, off, ExecOptions{LookPath: fakePlugin}); !errors.Is(err, ErrExecDisabled) {
		t.Errorf("exec off: %v", err)
	}
	var nr *TaskNotRunningError
	if _, err := Exec(context.Background(), c, simService(), ExecOptions{Task: taskB[:6], LookPath: fakePlugin}); !errors.As(err, &nr) || nr.Status != "STOPPED" {
		t.Errorf("stopped task: %v", err)
	}
	// Both are listed as running here, so a choice is needed.
	sim.on("DescribeTasks", simAnswer{body: map[string]any{"tasks": []any{
		simTask(taskA, "RUNNING", 5000, nil, ""), simTask(taskB, "RUNNING", 4000, nil, ""),
	}}})
	if _, err := Exec(context.Background(), c, simService(), ExecOptions{LookPath: fakePlugin}); !errors.Is(err, ErrTaskNeeded) {
		t.Errorf("two tasks without a choice: %v", err)
	}
	if n := len(sim.sent("ExecuteCommand")); n != 0 {
		t.Errorf("ExecuteCommand called %d times", n)
	}
}

// Proves (F8; CloudFormation by cfnFake, ECS by the simulator): Find
// reads the container's log group, which the task definition's awslogs
// driver names, never the pause gate's, whatever order the stack lists
// its log groups in.
func TestFindReadsContainerLogGroup(t *testing.T) {
	const container, gate = "/ecs/shop/app-1", "shop-PauseGateLogGroup-X"
	sim := newJSONSim(t)
	sim.on("DescribeServices", simAnswer{body: map[string]any{"services": []any{map[string]any{
		"serviceName": "shop-service", "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/shop:3"}}}})
	sim.on("DescribeTaskDefinition", simAnswer{body: map[string]any{"taskDefinition": map[string]any{
		"containerDefinitions": []any{map[string]any{"name": "app", "logConfiguration": map[string]any{"logDriver": "awslogs",
			"options": map[string]string{"awslogs-group": container, "awslogs-stream-prefix": "app", "awslogs-region": "us-east-1"}}}}}}})
	group := func(logical, physical string) cftypes.StackResourceSummary {
		return cftypes.StackResourceSummary{LogicalResourceId: aws.String(logical), PhysicalResourceId: aws.String(physical),
			ResourceType: aws.String("AWS::Logs::LogGroup"), ResourceStatus: cftypes.ResourceStatusCreateComplete}
	}
	for name, groups := range map[string][]cftypes.StackResourceSummary{
		"gate last":  {group("LogGroup", container), group("PauseGateLogGroup", gate)},
		"gate first": {group("PauseGateLogGroup", gate), group("LogGroup", container)},
	} {
		c := sim.clients()
		c.CloudFormation = &cfnFake{stack: fakeStack("UPDATE_COMPLETE", nil), resources: append(serviceResources(), groups...)}
		svc, err := Find(context.Background(), c, "shop")
		if err != nil {
			t.Fatal(err)
		}
		if svc.LogGroup != container || svc.LogStreamPrefix != "app" {
			t.Errorf("%s: log group %q, prefix %q; want the container's %q, app", name, svc.LogGroup, svc.LogStreamPrefix, container)
		}
	}
}

// Proves (H3; ECS by the simulator): run starts a one-off task on regular
// Fargate, weight 1, even for a service whose strategy puts every task on
// Fargate Spot; only --spot (RunOptions.Spot) runs it on Spot. A service
// on the FARGATE launch type gets that launch type, never both.
func TestRunCapacity(t *testing.T) {
	spotOnly := []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE"), Base: 0, Weight: 0},
		{CapacityProvider: aws.String("FARGATE_SPOT"), Weight: 1}}
	for _, tc := range []struct {
		name     string
		strategy []ecstypes.CapacityProviderStrategyItem
		spot     bool
		want     string
	}{
		{"spot service", spotOnly, false, `strategy [FARGATE:1]`},
		{"spot service, --spot", spotOnly, true, `strategy [FARGATE_SPOT:1]`},
		{"launch type service", nil, false, `launch type FARGATE`},
		{"launch type service, --spot", nil, true, `strategy [FARGATE_SPOT:1]`},
	} {
		sim := newJSONSim(t)
		sim.on("RunTask", simAnswer{body: map[string]any{"tasks": []any{simTask(taskA, "PROVISIONING", 5000, nil, "")}}})
		svc := simService()
		svc.CapacityProviderStrategy = tc.strategy
		if tc.strategy == nil {
			svc.LaunchType = ecstypes.LaunchTypeFargate
		}
		if _, err := Run(context.Background(), sim.clients(), svc, RunOptions{Command: []string{"./migrate"}, Spot: tc.spot, NoWait: true}, nil); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		req := sim.sent("RunTask")[0]
		got := "launch type " + fmt.Sprint(req["launchType"])
		if items, ok := req["capacityProviderStrategy"].([]any); ok {
			var parts []string
			for _, item := range items {
				item := item.(map[string]any)
				parts = append(parts, fmt.Sprintf("%v:%v", item["capacityProvider"], item["weight"]))
			}
			got = "strategy " + fmt.Sprint(parts)
			if req["launchType"] != nil {
				got += " and a launch type"
			}
		}
		if got != tc.want {
			t.Errorf("%s: RunTask with %s, want %s", tc.name, got, tc.want)
		}
	}
}

// Proves (H4; ECS by the simulator): exec offers only the running tasks
// that can take a session, those started with enableExecuteCommand whose
// ExecuteCommandAgent is RUNNING; a task chosen by --task that cannot is
// refused with why; with none that can, the error names each task's
// reason; and no session is started for any of them.
func TestExecOffersOnlyReadyTasks(t *testing.T) {
	const taskC = "cccccccc0123456789abcdef01234567"
	withoutExec := simTask(taskB, "RUNNING", 4000, nil, "") // started before exec was turned on
	withoutExec["enableExecuteCommand"] = false
	agentPending := simTask(taskC, "RUNNING", 3000, nil, "")
	agentPending["containers"].([]any)[0].(map[string]any)["managedAgents"] = []any{map[string]any{"name": "ExecuteCommandAgent", "lastStatus": "PENDING"}}
	session := simAnswer{body: map[string]any{"clusterArn": "c", "containerName": "app", "interactive": true,
		"session": map[string]any{"sessionId": "s", "streamUrl": "wss://x", "tokenValue": "t"}}}

	sim := newJSONSim(t)
	sim.on("ListTasks", simAnswer{body: map[string]any{"taskArns": []string{taskARN(taskA), taskARN(taskB), taskARN(taskC)}}})
	sim.on("DescribeTasks", simAnswer{body: map[string]any{"tasks": []any{simTask(taskA, "RUNNING", 5000, nil, ""), withoutExec, agentPending}}})
	sim.on("ExecuteCommand", session)
	var offered []string
	pick := func(tasks []Task) (Task, error) {
		for _, t := range tasks {
			offered = append(offered, ShortID(t.ID))
		}
		return tasks[0], nil
	}
	s, err := Exec(context.Background(), sim.clients(), simService(), ExecOptions{Pick: pick, LookPath: fakePlugin})
	if err != nil || s.Task.ID != taskA {
		t.Fatalf("exec among three running tasks = %+v, %v; want the only ready one, %s", s, err, ShortID(taskA))
	}
	if len(offered) != 0 {
		t.Errorf("offered %v; with one ready task there is nothing to choose", offered)
	}

	for _, tc := range []struct{ task, want string }{
		{taskB, "started without ECS Exec"},
		{taskC, "agent of task " + ShortID(taskC) + " is PENDING"},
	} {
		_, err := Exec(context.Background(), sim.clients(), simService(), ExecOptions{Task: tc.task, LookPath: fakePlugin})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--task %s: %v; want a refusal saying %q", ShortID(tc.task), err, tc.want)
		}
	}

	sim.on("DescribeTasks", simAnswer{body: map[string]any{"tasks": []any{withoutExec, agentPending}}})
	_, err = Exec(context.Background(), sim.clients(), simService(), ExecOptions{Pick: pick, LookPath: fakePlugin})
	if err == nil || !strings.Contains(err.Error(), "none of the 2 running tasks") || !strings.Contains(err.Error(), ShortID(taskB)) || !strings.Contains(err.Error(), ShortID(taskC)) {
		t.Errorf("exec with no ready task: %v; want an error naming both tasks", err)
	}
	if n := len(sim.sent("ExecuteCommand")); n != 1 {
		t.Errorf("ExecuteCommand called %d times, want once (for the ready task)", n)
	}
}
