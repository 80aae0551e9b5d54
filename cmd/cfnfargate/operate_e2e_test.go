package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack/operate"
)

// ecrImages creates an ECR repository in moto with one image per tag and
// returns the image references and their digests, as ECR reports them.
func ecrImages(t *testing.T, m *testenv.Moto, repo string, tags ...string) (refs, digests map[string]string) {
	t.Helper()
	const target = "AmazonEC2ContainerRegistry_V20150921."
	var created struct {
		Repository struct {
			RepositoryURI string `json:"repositoryUri"`
		} `json:"repository"`
	}
	m.JSON(t, "ecr", target+"CreateRepository", map[string]any{"repositoryName": repo}, &created)
	refs, digests = map[string]string{}, map[string]string{}
	for i, tag := range tags {
		manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"sha256:%064x"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%d,"digest":"sha256:%064x"}]}`, 100+i, i+1, 200+i, i+101)
		var put struct {
			Image struct {
				ImageID struct {
					ImageDigest string `json:"imageDigest"`
				} `json:"imageId"`
			} `json:"image"`
		}
		m.JSON(t, "ecr", target+"PutImage", map[string]any{"repositoryName": repo, "imageTag": tag, "imageManifest": manifest}, &put)
		refs[tag] = created.Repository.RepositoryURI + ":" + tag
		digests[tag] = put.Image.ImageID.ImageDigest
	}
	return refs, digests
}

// Proves (acceptance of issue 11, end to end through the binary against
// moto): deploy v1, deploy v2, history shows both with the digests ECR
// reports; rollback deploys v1's template and parameters with the image
// pinned by digest, which the stack's parameter and the new task
// definition revision both hold; history then shows three releases, the
// newest a rollback to release 1. Also scale through a change set, a count
// the next deploy keeps, and the day-2 commands' bad input exiting 2.
func TestReleasesAndRollbackAgainstMoto(t *testing.T) {
	testenv.SkipIfShort(t, "starts moto_server and builds the binary")
	t.Parallel()
	m := testenv.StartMoto(t)
	n := m.Seed(t)
	cf := motoBinary(t, m)
	m.CreateECSRole(t)
	refs, digests := ecrImages(t, m, "shop", "v1", "v2")
	if digests["v1"] == digests["v2"] {
		t.Fatalf("ECR gave both images the digest %s; the test needs two", digests["v1"])
	}
	const name = "shop"
	deploy := func(image string, extra ...string) {
		t.Helper()
		args := append([]string{"deploy", "--stack", name, "--vpc-id", n.VpcID,
			"--public-subnets", strings.Join(n.PublicSubnets, ","), "--private-subnets", strings.Join(n.PrivateSubnets, ","),
			"--certificate-arn", n.CertificateArn, "--image", image}, extra...)
		code, stdout, stderr := cf.run(args...)
		if code != 0 || !strings.Contains(stderr, "recorded release") {
			t.Fatalf("deploy %s: exit %d\nstdout:\n%s\nstderr:\n%s", image, code, stdout, stderr)
		}
	}
	history := func() []operate.Release {
		t.Helper()
		code, stdout, stderr := cf.run("history", "--stack", name, "--json")
		if code != 0 {
			t.Fatalf("history: exit %d\n%s%s", code, stdout, stderr)
		}
		var releases []operate.Release
		if err := json.Unmarshal([]byte(stdout), &releases); err != nil {
			t.Fatalf("history --json: %v\n%s", err, stdout)
		}
		return releases
	}
	stackParameter := func(key string) string {
		t.Helper()
		body := m.Query(t, "cloudformation", "DescribeStacks", url.Values{"StackName": {name}})
		keys, values := testenv.XMLValues(body, "ParameterKey"), testenv.XMLValues(body, "ParameterValue")
		for i := range keys {
			if keys[i] == key && i < len(values) {
				return values[i]
			}
		}
		return ""
	}

	deploy(refs["v1"])
	deploy(refs["v2"])
	releases := history()
	if len(releases) != 2 || releases[0].Number != 2 || releases[1].Number != 1 {
		t.Fatalf("history after two deploys: %+v", releases)
	}
	for _, r := range releases {
		tag := map[int]string{1: "v1", 2: "v2"}[r.Number]
		if r.Image != refs[tag] || r.ImageDigest != digests[tag] || r.Action != "deploy" || r.By == "" || len(r.TemplateSHA256) != 64 {
			t.Errorf("release %d = %+v; want image %s with ECR's digest %s, the caller and the template's SHA-256", r.Number, r, refs[tag], digests[tag])
		}
	}
	code, stdout, stderr := cf.run("history", "--stack", name)
	if code != 0 || !strings.Contains(stdout, "RELEASE") || !strings.Contains(stdout, shortDigest(digests["v1"])) {
		t.Errorf("history table: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = cf.run("history", "--stack", name, "--diff", "1,2")
	if code != 0 || !strings.Contains(stdout, "parameter ContainerImage: "+refs["v1"]+" -> "+refs["v2"]) {
		t.Errorf("history --diff 1,2: exit %d\n%s%s", code, stdout, stderr)
	}

	t.Run("scale keeps the template and the count survives a deploy", func(t *testing.T) {
		code, stdout, stderr := cf.run("scale", "--stack", name, "--count", "3")
		if code != 0 || !strings.Contains(stdout, "UPDATE_COMPLETE") {
			t.Fatalf("scale: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if got := stackParameter("DesiredCount"); got != "3" {
			t.Errorf("DesiredCount after scale = %q, want 3", got)
		}
		code, _, stderr = cf.run("scale", "--stack", name, "--min", "2")
		if code != 2 || !strings.Contains(stderr, "--min") || !strings.Contains(stderr, "does not scale automatically") {
			t.Errorf("scale --min on a stack without autoscaling: exit %d, stderr %s", code, stderr)
		}
		code, stdout, _ = cf.run("scale", "--stack", name, "--count", "0")
		if code != 0 || !strings.Contains(stdout, "pauses service") {
			t.Errorf("scale --count 0 does not say it pauses the service: exit %d\n%s", code, stdout)
		}
		cf.run("scale", "--stack", name, "--count", "3")
	})

	t.Run("tasks and logs", func(t *testing.T) { dayTwo(t, m, cf, name) })

	code, stdout, stderr = cf.run("rollback", "--stack", name)
	if code != 0 || !strings.Contains(stdout, "UPDATE_COMPLETE") || !strings.Contains(stdout, "recorded as release 3") {
		t.Fatalf("rollback: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	pinned := strings.TrimSuffix(refs["v1"], ":v1") + "@" + digests["v1"]
	if got := stackParameter("ContainerImage"); got != pinned {
		t.Errorf("ContainerImage after rollback = %q, want v1 pinned by digest %q", got, pinned)
	}
	if got := stackParameter("DesiredCount"); got != "3" {
		t.Errorf("DesiredCount after rollback = %q; want the count kept at 3", got)
	}
	// moto registers the task definitions of a CloudFormation stack
	// without their containers' image, so the parameter the template's
	// container refers to (!Ref ContainerImage) is what is checked.
	releases = history()
	if len(releases) != 3 || releases[0].Action != "rollback" || releases[0].RollbackOf != 1 ||
		releases[0].Image != pinned || releases[0].ImageDigest != digests["v1"] || releases[0].TemplateSHA256 != releases[2].TemplateSHA256 {
		t.Errorf("history after the rollback: %+v", releases)
	}
}

// physicalID is the physical ID of a stack's resource, as CloudFormation
// reports it.
func physicalID(t *testing.T, m *testenv.Moto, stackName, logicalID string) string {
	t.Helper()
	body := m.Query(t, "cloudformation", "ListStackResources", url.Values{"StackName": {stackName}})
	logical, physical := testenv.XMLValues(body, "LogicalResourceId"), testenv.XMLValues(body, "PhysicalResourceId")
	for i := range logical {
		if logical[i] == logicalID && i < len(physical) {
			return physical[i]
		}
	}
	t.Fatalf("stack %s has no resource %s: %s", stackName, logicalID, body)
	return ""
}

// dayTwo runs tasks and logs against the deployed stack name. moto starts
// no tasks for a service, so a task is started in the service's group as
// ECS does (group service:NAME), and its log lines are put where the
// awslogs driver writes them (PREFIX/CONTAINER/TASK-ID). moto registers a
// stack's task definition without its containers' memory and then fails
// RunTask on it, so the task runs a task definition of its own; run is
// tested in package operate against services moto created itself.
func dayTwo(t *testing.T, m *testenv.Moto, cf binary, name string) {
	cluster := physicalID(t, m, name, "Cluster")
	service := physicalID(t, m, name, "Service")
	logGroup := physicalID(t, m, name, "LogGroup")
	var svc struct {
		Services []struct {
			ServiceName string `json:"serviceName"`
		} `json:"services"`
	}
	m.JSON(t, "ecs", "DescribeServices", map[string]any{"cluster": cluster, "services": []string{service}}, &svc)
	if len(svc.Services) != 1 {
		t.Fatalf("DescribeServices: %+v", svc)
	}
	s := svc.Services[0]
	var registered struct {
		TaskDefinition struct {
			TaskDefinitionArn string `json:"taskDefinitionArn"`
		} `json:"taskDefinition"`
	}
	// Bridge mode: moto fails RunTask of an awsvpc task (it reads a
	// private DNS name its network interfaces lack).
	m.JSON(t, "ecs", "RegisterTaskDefinition", map[string]any{"family": "seeded", "networkMode": "bridge",
		"cpu": "256", "memory": "512", "containerDefinitions": []map[string]any{{"name": name, "image": "nginx:1.27", "memory": 512}}}, &registered)
	// moto moves a task one status on at each DescribeTasks (its state
	// manager's default for ecs::task); keep tasks RUNNING until stopped,
	// as ECS does. This moto is the test's own.
	resp, err := http.Post(m.Endpoint+"/moto-api/state-manager/set-transition", "application/json",
		strings.NewReader(`{"model_name":"ecs::task","transition":{"progression":"manual","times":1000000}}`))
	if err != nil || resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("set moto's task transitions: %v %v", err, resp)
	}
	resp.Body.Close()
	startTask := func() string {
		var started struct {
			Tasks []struct {
				TaskArn string `json:"taskArn"`
			} `json:"tasks"`
		}
		m.JSON(t, "ecs", "RunTask", map[string]any{"cluster": cluster, "taskDefinition": registered.TaskDefinition.TaskDefinitionArn, "launchType": "FARGATE",
			"group": "service:" + s.ServiceName}, &started)
		if len(started.Tasks) != 1 {
			t.Fatalf("RunTask: %+v", started)
		}
		return operate.TaskID(started.Tasks[0].TaskArn)
	}
	taskID := startTask()

	// moto answers a task's container cpu and memory as numbers, which
	// the API has as strings and the SDK refuses; the shim writes them as
	// strings.
	shim := newECSShim(t, m.Endpoint)
	cf.env = append(append([]string(nil), cf.env...), "AWS_ENDPOINT_URL="+shim.URL)

	code, stdout, stderr := cf.run("tasks", "--stack", name, "--json")
	var tasks []operate.Task
	if code != 0 || json.Unmarshal([]byte(stdout), &tasks) != nil || len(tasks) != 1 || tasks[0].ID != taskID {
		t.Errorf("tasks --json: exit %d, want the one task %s\n%s%s", code, taskID, stdout, stderr)
	}

	// The service has no name of its own: the container is named after the
	// stack, and the streams start with the literal prefix ecs.
	stream := "ecs/" + name + "/" + taskID
	m.JSON(t, "logs", "CreateLogStream", map[string]any{"logGroupName": logGroup, "logStreamName": stream}, nil)
	now := time.Now().UnixMilli()
	m.JSON(t, "logs", "PutLogEvents", map[string]any{"logGroupName": logGroup, "logStreamName": stream, "logEvents": []map[string]any{
		{"timestamp": now - 2000, "message": "listening on :80"},
		{"timestamp": now - 1000, "message": "ERROR database unreachable"},
	}}, nil)
	code, stdout, stderr = cf.run("logs", "--stack", name, "--since", "1h")
	if code != 0 || !strings.Contains(stdout, operate.ShortID(taskID)+" ") || !strings.Contains(stdout, "listening on :80") ||
		strings.Index(stdout, "listening") > strings.Index(stdout, "ERROR database") {
		t.Errorf("logs: exit %d; want both lines in order, prefixed with %s\n%s%s", code, operate.ShortID(taskID), stdout, stderr)
	}
	code, stdout, _ = cf.run("logs", "--stack", name, "--since", "1h", "--filter", "ERROR", "--json")
	var line operate.LogEvent
	if code != 0 || json.Unmarshal([]byte(strings.TrimSpace(stdout)), &line) != nil || line.Message != "ERROR database unreachable" || line.TaskID != taskID {
		t.Errorf("logs --filter ERROR --json: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = cf.run("logs", "--stack", name, "--since", "1h", "--task", "0000")
	if code != 0 || strings.TrimSpace(stdout) != "" {
		t.Errorf("logs --task of another task printed lines: exit %d\n%s", code, stdout)
	}

	t.Run("logs --follow", func(t *testing.T) { followLogs(t, m, cf, name, logGroup, stream) })
	t.Run("exec", func(t *testing.T) { execUpToThePlugin(t, cf, shim, name, startTask) })

	code, stdout, stderr = cf.run("tasks", "--stack", name, "--stop", operate.ShortID(taskID))
	if code != 0 || !strings.Contains(stdout, "Stopping task "+taskID) {
		t.Errorf("tasks --stop: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = cf.run("logs", "--stack", name, "--previous")
	if code != 0 || !strings.Contains(stdout, "Task "+taskID+" stopped") || !strings.Contains(stdout, "stopped with cfnfargate tasks --stop") ||
		!strings.Contains(stdout, "ERROR database unreachable") {
		t.Errorf("logs --previous: exit %d\n%s%s", code, stdout, stderr)
	}
}

// ecsShim is a proxy in front of moto for what moto cannot answer. It
// rewrites the numeric cpu, memory and memoryReservation of the containers
// in ECS answers as the strings the ECS API defines (ECS API reference,
// Container), and gives containers a runtimeId. With exec set, it is a
// SIMULATION of ECS Exec: the service and its tasks report
// enableExecuteCommand, the tasks' ExecuteCommandAgent runs, and
// ExecuteCommand, which moto lacks, answers with a scripted session.
type ecsShim struct {
	URL  string
	exec atomic.Bool
}

func newECSShim(t *testing.T, target string) *ecsShim {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	shim := &ecsShim{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		op, ok := strings.CutPrefix(resp.Request.Header.Get("X-Amz-Target"), "AmazonEC2ContainerServiceV20141113.")
		if !ok {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		var doc any
		if json.Unmarshal(body, &doc) == nil {
			fixContainers(doc)
			if services, ok := doc.(map[string]any)["services"].([]any); ok && op == "DescribeServices" && shim.exec.Load() {
				for _, s := range services {
					s.(map[string]any)["enableExecuteCommand"] = true
				}
			}
			// Tasks started with ECS Exec on, whose agents run.
			if tasks, ok := doc.(map[string]any)["tasks"].([]any); ok && op == "DescribeTasks" && shim.exec.Load() {
				for _, task := range tasks {
					task := task.(map[string]any)
					task["enableExecuteCommand"] = true
					containers, _ := task["containers"].([]any)
					for _, c := range containers {
						c.(map[string]any)["managedAgents"] = []any{map[string]any{"name": "ExecuteCommandAgent", "lastStatus": "RUNNING"}}
					}
				}
			}
			body, _ = json.Marshal(doc)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".ExecuteCommand") && shim.exec.Load() {
			var in map[string]any
			json.NewDecoder(r.Body).Decode(&in)
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			json.NewEncoder(w).Encode(map[string]any{"clusterArn": in["cluster"], "taskArn": in["task"], "containerName": in["container"], "interactive": true,
				"session": map[string]any{"sessionId": "simulated-session", "streamUrl": "wss://ssmmessages.example.test/session", "tokenValue": "simulated-token"}})
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	shim.URL = srv.URL
	return shim
}

func fixContainers(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if list, ok := child.([]any); ok && k == "containers" {
				for _, c := range list {
					if c, ok := c.(map[string]any); ok {
						for _, field := range []string{"cpu", "memory", "memoryReservation"} {
							if n, ok := c[field].(float64); ok {
								c[field] = strconv.FormatFloat(n, 'f', -1, 64)
							}
						}
						c["runtimeId"] = "simulated-runtime"
					}
				}
			}
			fixContainers(child)
		}
	case []any:
		for _, child := range v {
			fixContainers(child)
		}
	}
}

// execUpToThePlugin runs exec up to the point where the plugin starts: the
// plugin on PATH is a fake that records its arguments and exits 7.
func execUpToThePlugin(t *testing.T, cf binary, shim *ecsShim, name string, startTask func() string) {
	dir := t.TempDir()
	record := filepath.Join(dir, "args")
	plugin := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > " + record + "\nexit 7\n"
	if err := os.WriteFile(filepath.Join(dir, "session-manager-plugin"), []byte(plugin), 0o755); err != nil {
		t.Fatal(err)
	}
	withPlugin := cf
	withPlugin.env = append(append([]string(nil), cf.env...), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))

	// moto's own answer: the stack was deployed without --enable-exec.
	code, _, stderr := withPlugin.run("exec", "--stack", name, "--", "ls", "-l")
	if code != 1 || !strings.Contains(stderr, "ECS Exec is off") || !strings.Contains(stderr, "--enable-exec") {
		t.Errorf("exec with ECS Exec off: exit %d\n%s", code, stderr)
	}
	code, _, stderr = cf.run("exec", "--stack", name)
	if code != 1 || !strings.Contains(stderr, "session-manager-plugin is not installed") {
		t.Errorf("exec without the plugin: exit %d\n%s", code, stderr)
	}
	code, _, stderr = withPlugin.run("exec", "--stack", name, "ls")
	if code != 2 || !strings.Contains(stderr, "after --") {
		t.Errorf("exec with a command before --: exit %d\n%s", code, stderr)
	}

	shim.exec.Store(true)
	taskID := startTask()
	code, _, stderr = withPlugin.run("exec", "--stack", name, "--task", operate.ShortID(taskID), "--", "ls", "-l")
	if code != 7 {
		t.Errorf("exec: exit %d, want the plugin's 7\n%s", code, stderr)
	}
	data, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("the plugin did not run: %v\n%s", err, stderr)
	}
	args := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	cluster := ""
	if len(args) == 6 {
		var target map[string]string
		json.Unmarshal([]byte(args[4]), &target)
		cluster = strings.TrimSuffix(strings.TrimPrefix(target["Target"], "ecs:"), "_"+taskID+"_simulated-runtime")
	}
	if len(args) != 6 || !strings.Contains(args[0], `"SessionId":"simulated-session"`) || args[1] != "us-east-1" || args[2] != "StartSession" ||
		args[3] != "" || cluster == "" || strings.Contains(cluster, "_") || args[5] != shim.URL {
		t.Errorf("plugin arguments = %q", args)
	}
}

// followLogs runs logs --follow as a user does, until Ctrl-C: moto has no
// Live Tail, so it says so and polls; a line put while it runs shows, and
// SIGINT ends it with status 0.
func followLogs(t *testing.T, m *testenv.Moto, cf binary, name, logGroup, stream string) {
	cmd := exec.Command(cf.path, "logs", "--stack", name, "--since", "1h", "--follow")
	cmd.Env = cf.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		scanner := bufio.NewScanner(out)
		for scanner.Scan() {
			lines <- scanner.Text()
		}
		close(lines)
	}()
	waitFor := func(text string) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("logs --follow ended before %q\n%s", text, stderr.String())
				}
				if strings.Contains(line, text) {
					return
				}
			case <-timeout:
				cmd.Process.Kill()
				t.Fatalf("no line with %q\n%s", text, stderr.String())
			}
		}
	}
	waitFor("listening on :80")
	m.JSON(t, "logs", "PutLogEvents", map[string]any{"logGroupName": logGroup, "logStreamName": stream, "logEvents": []map[string]any{
		{"timestamp": time.Now().UnixMilli(), "message": "a line written while following"},
	}}, nil)
	waitFor("a line written while following")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for range lines {
	}
	err = cmd.Wait()
	if err != nil || !strings.Contains(stderr.String(), "Live Tail is not available") || !strings.Contains(stderr.String(), "polling every 2s") {
		t.Errorf("logs --follow after Ctrl-C: %v\n%s", err, stderr.String())
	}
}
