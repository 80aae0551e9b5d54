package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
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
	var env []string
	for _, kv := range m.Env() {
		if !strings.HasPrefix(kv, envPrefix) {
			env = append(env, kv)
		}
	}
	env = append(env, "CI=true")
	cf := binary{t: t, path: buildBinary(t), env: env}
	m.Query(t, "iam", "CreateRole", url.Values{"RoleName": {"AWSServiceRoleForECS"}, "Path": {"/aws-service-role/ecs.amazonaws.com/"},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}})
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
	var started struct {
		Tasks []struct {
			TaskArn string `json:"taskArn"`
		} `json:"tasks"`
	}
	var registered struct {
		TaskDefinition struct {
			TaskDefinitionArn string `json:"taskDefinitionArn"`
		} `json:"taskDefinition"`
	}
	// Bridge mode: moto fails RunTask of an awsvpc task (it reads a
	// private DNS name its network interfaces lack).
	m.JSON(t, "ecs", "RegisterTaskDefinition", map[string]any{"family": "seeded", "networkMode": "bridge",
		"cpu": "256", "memory": "512", "containerDefinitions": []map[string]any{{"name": "example-app", "image": "nginx:1.27", "memory": 512}}}, &registered)
	m.JSON(t, "ecs", "RunTask", map[string]any{"cluster": cluster, "taskDefinition": registered.TaskDefinition.TaskDefinitionArn, "launchType": "FARGATE",
		"group": "service:" + s.ServiceName}, &started)
	if len(started.Tasks) != 1 {
		t.Fatalf("RunTask: %+v", started)
	}
	taskID := operate.TaskID(started.Tasks[0].TaskArn)

	// moto answers a task's container cpu and memory as numbers, which
	// the API has as strings and the SDK refuses; the proxy writes them
	// as strings. It changes nothing else.
	fixed := mototasksProxy(t, m.Endpoint)
	cf.env = append(append([]string(nil), cf.env...), "AWS_ENDPOINT_URL="+fixed)

	code, stdout, stderr := cf.run("tasks", "--stack", name, "--json")
	var tasks []operate.Task
	if code != 0 || json.Unmarshal([]byte(stdout), &tasks) != nil || len(tasks) != 1 || tasks[0].ID != taskID {
		t.Errorf("tasks --json: exit %d, want the one task %s\n%s%s", code, taskID, stdout, stderr)
	}

	stream := "example-app/example-app/" + taskID
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

// mototasksProxy forwards every request to moto and rewrites the numeric
// cpu, memory and memoryReservation of the containers in ECS answers as
// the strings the ECS API defines (ECS API reference, Container).
func mototasksProxy(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		if !strings.HasPrefix(resp.Request.Header.Get("X-Amz-Target"), "AmazonEC2ContainerServiceV20141113.") {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		var doc any
		if json.Unmarshal(body, &doc) == nil {
			stringifyContainers(doc)
			body, _ = json.Marshal(doc)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv.URL
}

func stringifyContainers(v any) {
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
					}
				}
			}
			stringifyContainers(child)
		}
	case []any:
		for _, child := range v {
			stringifyContainers(child)
		}
	}
}
