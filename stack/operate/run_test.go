package operate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
)

// The moto tests share one moto_server, which RunTests stops.
func TestMain(m *testing.M) { os.Exit(testenv.RunTests(m)) }

// motoFix is a transport in front of moto. It writes the containers' cpu
// and memory in ECS answers as the strings the ECS API defines (moto
// answers numbers, which the SDK refuses) and, when exitCode is set,
// gives stopped containers that exit code: a simulation of a failing
// command, which moto cannot run.
type motoFix struct {
	exitCode *int
}

func (f motoFix) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonEC2ContainerServiceV20141113.") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if json.Unmarshal(body, &doc) == nil {
		tasks, _ := doc["tasks"].([]any)
		for _, task := range tasks {
			task, _ := task.(map[string]any)
			containers, _ := task["containers"].([]any)
			for _, c := range containers {
				c, _ := c.(map[string]any)
				for _, field := range []string{"cpu", "memory", "memoryReservation"} {
					if n, ok := c[field].(float64); ok {
						c[field] = strconv.FormatFloat(n, 'f', -1, 64)
					}
				}
				if f.exitCode != nil && task["lastStatus"] == "STOPPED" {
					c["exitCode"] = *f.exitCode
				}
			}
		}
		body, _ = json.Marshal(doc)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return resp, nil
}

// motoClients are ECS and Logs clients of moto, through motoFix.
func motoClients(m *testenv.Moto, fix motoFix) Clients {
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	hc := &http.Client{Transport: fix}
	return Clients{
		ECS:    ecs.New(ecs.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), Credentials: creds, HTTPClient: hc}),
		Logs:   cloudwatchlogs.New(cloudwatchlogs.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), Credentials: creds}),
		Region: m.Region,
	}
}

// motoService creates in moto a cluster, a task definition with one
// container and a log group, as a service of a stack would have them.
// The task definition uses bridge mode: moto fails RunTask of an awsvpc
// task (it reads a private DNS name its network interfaces lack).
func motoService(t *testing.T, m *testenv.Moto, name string) *Service {
	m.JSON(t, "ecs", "CreateCluster", map[string]any{"clusterName": name}, nil)
	var td struct {
		TaskDefinition struct {
			TaskDefinitionArn string `json:"taskDefinitionArn"`
		} `json:"taskDefinition"`
	}
	m.JSON(t, "ecs", "RegisterTaskDefinition", map[string]any{"family": name, "networkMode": "bridge",
		"containerDefinitions": []map[string]any{{"name": "app", "image": "nginx:1.27", "memory": 512}}}, &td)
	m.JSON(t, "logs", "CreateLogGroup", map[string]any{"logGroupName": "/ecs/" + name}, nil)
	s := &Service{Partition: "aws", Region: m.Region, Account: "123456789012", Container: "app", LogStreamPrefix: "app", LaunchType: "FARGATE"}
	s.StackName, s.Cluster, s.LogGroup, s.TaskDefinition = name, name, "/ecs/"+name, td.TaskDefinition.TaskDefinitionArn
	return s
}

// Proves, against moto, that run starts one task of the service's task
// definition with the command as the container's override, follows its
// log stream until the task stops, and reports the container's exit code:
// 0 as moto stops tasks, and 3 where the proxy simulates a failing
// command.
func TestRunAgainstMoto(t *testing.T) {
	t.Parallel()
	m := testenv.SharedMoto(t)
	for _, code := range []int{0, 3} {
		name := "run-" + strconv.Itoa(code)
		svc := motoService(t, m, name)
		fix := motoFix{}
		if code != 0 {
			fix.exitCode = &code
		}
		c := motoClients(m, fix)
		ctx := context.Background()
		res, err := Run(ctx, c, svc, RunOptions{Command: []string{"./migrate", "up"}, StartedBy: "cfnfargate-run", NoWait: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var described struct {
			Tasks []struct {
				StartedBy string `json:"startedBy"`
				Overrides struct {
					ContainerOverrides []struct {
						Name    string   `json:"name"`
						Command []string `json:"command"`
					} `json:"containerOverrides"`
				} `json:"overrides"`
			} `json:"tasks"`
		}
		// Read before Wait: moto moves a task towards STOPPED on each
		// DescribeTasks.
		m.JSON(t, "ecs", "DescribeTasks", map[string]any{"cluster": name, "tasks": []string{res.Task.ARN}}, &described)
		if len(described.Tasks) != 1 || described.Tasks[0].StartedBy != "cfnfargate-run" ||
			len(described.Tasks[0].Overrides.ContainerOverrides) != 1 || described.Tasks[0].Overrides.ContainerOverrides[0].Name != "app" ||
			!slices.Equal(described.Tasks[0].Overrides.ContainerOverrides[0].Command, []string{"./migrate", "up"}) {
			t.Errorf("the task moto started: %+v", described)
		}
		stream := svc.TaskStream(res.Task.ID)
		m.JSON(t, "logs", "CreateLogStream", map[string]any{"logGroupName": svc.LogGroup, "logStreamName": stream}, nil)
		now := time.Now().UnixMilli()
		m.JSON(t, "logs", "PutLogEvents", map[string]any{"logGroupName": svc.LogGroup, "logStreamName": stream, "logEvents": []map[string]any{
			{"timestamp": now - 10, "message": "migrating"}, {"timestamp": now, "message": "done"},
		}}, nil)
		var lines []string
		res, err = Wait(ctx, c, svc, res.Task, 10*time.Millisecond, func(e LogEvent) error {
			lines = append(lines, e.Message)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode == nil || int(*res.ExitCode) != code || res.Task.LastStatus != "STOPPED" {
			t.Errorf("exit code %v, task %+v; want %d", res.ExitCode, res.Task, code)
		}
		if !slices.Equal(lines, []string{"migrating", "done"}) {
			t.Errorf("lines = %q", lines)
		}
	}
}

// Proves, against moto, that a task ECS refuses to start is a *RunError
// with ECS's reason: an awsvpc task definition without the network
// configuration it needs.
func TestRunThatCannotStartAgainstMoto(t *testing.T) {
	t.Parallel()
	m := testenv.SharedMoto(t)
	svc := motoService(t, m, "run-refused")
	var td struct {
		TaskDefinition struct {
			TaskDefinitionArn string `json:"taskDefinitionArn"`
		} `json:"taskDefinition"`
	}
	m.JSON(t, "ecs", "RegisterTaskDefinition", map[string]any{"family": "run-refused-vpc", "networkMode": "awsvpc",
		"containerDefinitions": []map[string]any{{"name": "app", "image": "nginx:1.27", "memory": 512}}}, &td)
	svc.TaskDefinition = td.TaskDefinition.TaskDefinitionArn
	_, err := Run(context.Background(), motoClients(m, motoFix{}), svc, RunOptions{Command: []string{"true"}}, nil)
	var runErr *RunError
	if !errors.As(err, &runErr) || !strings.Contains(runErr.Reason, "Network Configuration") {
		t.Errorf("err = %v; want a *RunError with ECS's reason", err)
	}
}

// Proves (newcomer trial B4; ECS simulated: moto's RunTask fails on its
// own): a RunTask that the SDK retries after a 5xx carries the same client
// token both times, so ECS, which starts one task per token ("Ensuring
// idempotency", ECS API reference), never starts a one-off task twice.
// The SDK would make a token of its own; cfnfargate run gives one so that
// the rule does not rest on a generated middleware.
func TestRunRetriesWithOneClientToken(t *testing.T) {
	sim := newJSONSim(t)
	task := map[string]any{"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/shop-cluster/" + taskA, "lastStatus": "PROVISIONING"}
	sim.on("RunTask", simAnswer{errorCode: "ServerException", status: http.StatusInternalServerError}, simAnswer{body: map[string]any{"tasks": []any{task}}})
	c := sim.clients()
	c.ECS = ecs.New(ecs.Options{Region: "us-east-1", BaseEndpoint: aws.String(sim.srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})})
	if _, err := Run(context.Background(), c, simService(), RunOptions{Command: []string{"./migrate"}, NoWait: true, ClientToken: "cfnfargate-run-1"}, nil); err != nil {
		t.Fatal(err)
	}
	calls := sim.sent("RunTask")
	if len(calls) != 2 || calls[0]["clientToken"] != "cfnfargate-run-1" || calls[1]["clientToken"] != "cfnfargate-run-1" {
		t.Errorf("RunTask calls %v; want two, the retry with the same client token", calls)
	}
}
