package operate

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func taskARN(id string) string { return "arn:aws:ecs:us-east-1:123456789012:task/shop-cluster/" + id }

// simTask is a task as DescribeTasks answers it.
func simTask(id, status string, stoppedAt float64, exit any, reason string) map[string]any {
	t := map[string]any{"taskArn": taskARN(id), "lastStatus": status, "desiredStatus": status, "group": "service:shop-service",
		"availabilityZone": "us-east-1a", "healthStatus": "HEALTHY", "createdAt": stoppedAt - 100, "startedAt": stoppedAt - 90,
		"taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/shop:3",
		"containers": []any{map[string]any{"name": "app", "image": "nginx:1.27", "lastStatus": status, "runtimeId": "rt-" + id[:4],
			"imageDigest": "sha256:" + fmt.Sprintf("%064d", 7), "exitCode": exit, "reason": reason}}}
	if status == "RUNNING" {
		// A task started with ECS Exec on, whose agent runs.
		t["enableExecuteCommand"] = true
		t["containers"].([]any)[0].(map[string]any)["managedAgents"] = []any{map[string]any{"name": "ExecuteCommandAgent", "lastStatus": "RUNNING"}}
	}
	if status == "STOPPED" {
		t["stoppedAt"] = stoppedAt
		t["stoppedReason"] = "Essential container in task exited"
		t["stopCode"] = "EssentialContainerExited"
	}
	return t
}

// Proves (against the simulator: moto gives stopped tasks no stop time,
// exit code or reason) that the last stopped task is the one that stopped
// last, with its exit code and reason, and that its last lines come from
// its own log stream, newest page first.
func TestLastStoppedAndPreviousLogs(t *testing.T) {
	const older, newer, running = "11111111aaaaaaaa", "22222222bbbbbbbb", "33333333cccccccc"
	sim := newJSONSim(t)
	sim.on("ListTasks",
		simAnswer{body: map[string]any{"taskArns": []string{taskARN(running)}}},
		simAnswer{body: map[string]any{"taskArns": []string{taskARN(older), taskARN(newer)}}})
	sim.on("DescribeTasks", simAnswer{body: map[string]any{"tasks": []any{
		simTask(running, "RUNNING", 5000, nil, ""),
		simTask(older, "STOPPED", 1000, 1, ""),
		simTask(newer, "STOPPED", 2000, 137, "OutOfMemoryError: Container killed due to memory usage"),
		// A one-off task in the cluster is not the service's.
		func() map[string]any {
			m := simTask("44444444dddddddd", "STOPPED", 9000, 0, "")
			m["group"] = "family:shop"
			return m
		}(),
	}}})
	sim.on("GetLogEvents", simAnswer{body: map[string]any{"events": []any{
		map[string]any{"timestamp": 1990, "message": "allocating"}, map[string]any{"timestamp": 1995, "message": "killed"},
	}}})
	c := sim.clients()
	task, err := LastStopped(context.Background(), c, simService())
	if err != nil {
		t.Fatal(err)
	}
	app, _ := task.container("app")
	if task.ID != newer || app.ExitCode == nil || *app.ExitCode != 137 || app.Reason == "" || task.StoppedReason == "" {
		t.Errorf("last stopped = %+v, want %s with exit code 137 and its reasons", task, newer)
	}
	statuses := sim.sent("ListTasks")
	if len(statuses) != 2 || statuses[0]["desiredStatus"] != "RUNNING" || statuses[1]["desiredStatus"] != "STOPPED" || statuses[1]["serviceName"] != "shop-service" {
		t.Errorf("ListTasks requests = %v", statuses)
	}
	events, err := PreviousLogs(context.Background(), c, simService(), task, 50)
	if err != nil || len(events) != 2 || events[1].Message != "killed" || events[1].TaskID != newer {
		t.Errorf("previous logs = %+v, %v", events, err)
	}
	req := sim.sent("GetLogEvents")[0]
	if req["logStreamName"] != "app/app/"+newer || req["startFromHead"] != false || fmt.Sprint(req["limit"]) != "50" {
		t.Errorf("GetLogEvents request = %v", req)
	}

	// No stopped task at all.
	sim.on("ListTasks", simAnswer{body: map[string]any{"taskArns": []string{}}})
	if _, err := LastStopped(context.Background(), c, simService()); !errors.Is(err, ErrNoStoppedTask) {
		t.Errorf("no stopped task: %v", err)
	}
}

// Proves task IDs are found whole, by a unique start, or from an ARN, and
// that an ambiguous or unknown one says so.
func TestPickTask(t *testing.T) {
	tasks := []Task{{ID: "abc123"}, {ID: "abd456"}, {ID: "ff"}}
	for _, tt := range []struct {
		id, want string
		matches  int
	}{
		{"abc123", "abc123", 0}, {"abc", "abc123", 0}, {taskARN("ff"), "ff", 0}, {"ab", "", 2}, {"zz", "", 0},
	} {
		got, err := pickTask(tasks, tt.id, "RUNNING")
		var nf *TaskNotFoundError
		switch {
		case tt.want != "" && (err != nil || got.ID != tt.want):
			t.Errorf("%s: %v, %v; want %s", tt.id, got.ID, err, tt.want)
		case tt.want == "" && (!errors.As(err, &nf) || len(nf.Matches) != tt.matches):
			t.Errorf("%s: %v; want not found with %d matches", tt.id, err, tt.matches)
		}
	}
}
