package main

// This test runs the real binary against moto, through a proxy that
// SIMULATES ECS's service-deployments API (ListServiceDeployments and
// DescribeServiceDeployments), which moto does not have; every other
// request goes to moto. The test moves the listener rule's weights with
// ELB's ModifyRule and writes the pause gate's "waiting" as ECS and the
// gate function would.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack"
)

// deploymentsProxy answers the service-deployments calls with its list and
// passes the rest to moto.
type deploymentsProxy struct {
	mu   sync.Mutex
	deps []map[string]any
	url  string
}

func newDeploymentsProxy(t *testing.T, m *testenv.Moto) *deploymentsProxy {
	t.Helper()
	target, err := url.Parse(m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	p := &deploymentsProxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := r.Header.Get("X-Amz-Target")
		list, describe := strings.HasSuffix(op, ".ListServiceDeployments"), strings.HasSuffix(op, ".DescribeServiceDeployments")
		if !list && !describe {
			proxy.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var in struct{ Status []string }
		_ = json.Unmarshal(body, &in)
		p.mu.Lock()
		defer p.mu.Unlock()
		var out []map[string]any
		for _, d := range p.deps {
			if list && len(in.Status) > 0 && !strings.Contains(strings.Join(in.Status, " "), d["status"].(string)) {
				continue
			}
			out = append(out, d)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]any{"serviceDeployments": out})
	}))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

func (p *deploymentsProxy) set(deps ...map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deps = deps
}

// blueGreenBinary is the binary, run against moto behind a
// deploymentsProxy.
type blueGreenBinary struct {
	t     *testing.T
	m     *testenv.Moto
	n     testenv.Network
	proxy *deploymentsProxy
	cf    binary
}

func newBlueGreenBinary(t *testing.T) *blueGreenBinary {
	t.Helper()
	m := testenv.SharedMoto(t)
	b := &blueGreenBinary{t: t, m: m, n: m.Seed(t), proxy: newDeploymentsProxy(t, m)}
	var env []string
	for _, kv := range m.Env() {
		if !strings.HasPrefix(kv, envPrefix) && !strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
			env = append(env, kv)
		}
	}
	env = append(env, "CI=true", "AWS_ENDPOINT_URL="+b.proxy.url)
	b.cf = binary{t: t, path: buildBinary(t), env: env}
	return b
}

// deploy runs deploy of stack name in the seeded network with extra flags.
func (b *blueGreenBinary) deploy(name string, extra ...string) (int, string, string) {
	args := append([]string{"deploy", "--stack", name, "--vpc-id", b.n.VpcID,
		"--public-subnets", strings.Join(b.n.PublicSubnets, ","), "--private-subnets", strings.Join(b.n.PrivateSubnets, ","),
		"--certificate-arn", b.n.CertificateArn}, extra...)
	return b.cf.run(args...)
}

// resources maps the stack's logical IDs to physical IDs.
func (b *blueGreenBinary) resources(name string) map[string]string {
	body := b.m.Query(b.t, "cloudformation", "DescribeStackResources", url.Values{"StackName": {name}})
	logical, physical := testenv.XMLValues(body, "LogicalResourceId"), testenv.XMLValues(body, "PhysicalResourceId")
	ids := map[string]string{}
	for i := range logical {
		if i < len(physical) {
			ids[logical[i]] = physical[i]
		}
	}
	return ids
}

// shift sets the production rule's weights, as ECS does.
func (b *blueGreenBinary) shift(name string, primary, alternate int) {
	ids := b.resources(name)
	b.m.Query(b.t, "elasticloadbalancing", "ModifyRule", url.Values{
		"RuleArn":               {ids["ProductionListenerRule"]},
		"Actions.member.1.Type": {"forward"},
		"Actions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn": {ids["TargetGroup"]},
		"Actions.member.1.ForwardConfig.TargetGroups.member.1.Weight":         {fmt.Sprint(primary)},
		"Actions.member.1.ForwardConfig.TargetGroups.member.2.TargetGroupArn": {ids["TargetGroupAlternate"]},
		"Actions.member.1.ForwardConfig.TargetGroups.member.2.Weight":         {fmt.Sprint(alternate)},
	})
}

// Proves, through the binary: deploy of a canary keeps the weights ECS left
// on the production rule and says so, status shows the split and the
// latest deployment, --on-pause rollback answers a deployment waiting at
// the gate, and deploy refuses (exit 1) while ECS deploys the service and
// a switch to rolling while the traffic is on the alternate group.
func TestBlueGreenThroughTheBinary(t *testing.T) {
	testenv.SkipIfShort(t, "starts moto_server and builds the binary")
	t.Parallel()
	b := newBlueGreenBinary(t)
	m, cf, proxy := b.m, b.cf, b.proxy
	const name = "bg-cli"
	deploy := func(extra ...string) (int, string, string) {
		return b.deploy(name, append([]string{"--strategy", "canary", "--pause-before-production"}, extra...)...)
	}
	if code, _, stderr := deploy(); code != 0 {
		t.Fatalf("create: exit %d\n%s", code, stderr)
	}

	// Where ECS's deployment left the traffic: all on the alternate group.
	b.shift(name, 0, 100)
	// A later deployment waits at the gate, as the gate function records:
	// keyed by the deployment's ARN, the hook event's resourceArn.
	const waiting = "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/s/9"
	m.JSON(t, "ssm", "AmazonSSM.PutParameter", map[string]any{"Name": stack.GateParameterName(name), "Type": "String", "Overwrite": true,
		"Value": fmt.Sprintf("%s %s %d", stack.GateWaiting, waiting, time.Now().Unix())}, nil)

	code, _, stderr := deploy("--image", "public.ecr.aws/nginx/nginx:1.29", "--on-pause", "rollback")
	if code != 0 || !strings.Contains(stderr, "Traffic: TargetGroup 0% / TargetGroupAlternate 100% (the template keeps it)") ||
		!strings.Contains(stderr, "ECS deployment "+waiting+" waits at the pause gate") || !strings.Contains(stderr, "Rejected: ECS rolls deployment 9 back.") {
		t.Fatalf("update: exit %d, stderr:\n%s\nwant the kept split and the rejection", code, stderr)
	}
	var gate struct{ Parameter struct{ Value string } }
	m.JSON(t, "ssm", "AmazonSSM.GetParameter", map[string]any{"Name": stack.GateParameterName(name)}, &gate)
	if gate.Parameter.Value != stack.GateReject+" "+waiting {
		t.Errorf("gate parameter = %q, want the rejection", gate.Parameter.Value)
	}

	proxy.set(map[string]any{"serviceDeploymentArn": "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/s/7", "status": "IN_PROGRESS", "lifecycleStage": "BAKE_TIME"})
	code, stdout, stderr := cf.run("status", "--stack", name)
	if code != 0 || !strings.Contains(stdout, "Traffic:       TargetGroup 0% / TargetGroupAlternate 100%") || !strings.Contains(stdout, "Deployment:    IN_PROGRESS at BAKE_TIME") {
		t.Errorf("status: exit %d, stdout:\n%s\nstderr %s", code, stdout, stderr)
	}
	if code, _, stderr := deploy("--image", "public.ecr.aws/nginx/nginx:1.30"); code != 1 || !strings.Contains(stderr, "ECS is deploying the service") {
		t.Errorf("deploy during an ECS deployment: exit %d, stderr:\n%s\nwant exit 1, refused", code, stderr)
	}
	// scale runs the same checks (F6), and answers the gate as deploy
	// does (F5).
	if code, _, stderr := cf.run("scale", "--stack", name, "--count", "2"); code != 1 || !strings.Contains(stderr, "ECS is deploying the service") || !strings.Contains(stderr, "--in-flight") {
		t.Errorf("scale during an ECS deployment: exit %d, stderr:\n%s\nwant exit 1, refused, with how to stop it", code, stderr)
	}
	proxy.set()
	const held = "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/s/10"
	m.JSON(t, "ssm", "AmazonSSM.PutParameter", map[string]any{"Name": stack.GateParameterName(name), "Type": "String", "Overwrite": true,
		"Value": fmt.Sprintf("%s %s %d", stack.GateWaiting, held, time.Now().Unix())}, nil)
	if code, _, stderr := cf.run("scale", "--stack", name, "--count", "2", "--on-pause", "continue"); code != 0 || !strings.Contains(stderr, "Approved: production traffic moves to ECS deployment 10.") {
		t.Errorf("scale of a gated service with a deployment at the gate: exit %d, stderr:\n%s\nwant it answered as --on-pause says", code, stderr)
	}

	code, _, stderr = cf.run("deploy", "--stack", name, "--strategy", "rolling")
	if code != 1 || !strings.Contains(stderr, "Deploy once more with the blue/green strategy") {
		t.Errorf("switch to rolling with traffic on the alternate group: exit %d, stderr:\n%s\nwant exit 1, refused", code, stderr)
	}
}

// planBlocks splits deploy's output into the plans it printed: each from
// its "Plan for stack" line through the indented lines under it.
func planBlocks(stdout string) []string {
	var plans []string
	in := false
	for _, line := range strings.Split(stdout, "\n") {
		switch {
		case strings.HasPrefix(line, "Plan for stack"):
			plans = append(plans, line)
			in = true
		case in && strings.HasPrefix(line, " "):
			plans[len(plans)-1] += "\n" + line
		default:
			in = false
		}
	}
	return plans
}

// Proves, through the binary (ECS simulated: the test moves the rule's
// weights and writes the gate's "waiting"; moto computes the change
// sets): after ECS moved a canary's traffic to the alternate group, a
// deploy that changes the service first updates the production rule
// alone, and its own change set modifies the service and never the rule
// with it (F4), so that a failed or cancelled update cannot set stale
// weights back; and a deploy that turns the pause gate off still answers,
// as --on-pause says, the deployment that the deployed template's gate
// holds (F5).
func TestBlueGreenUpdateLeavesTheRuleToItsRollback(t *testing.T) {
	testenv.SkipIfShort(t, "starts moto_server and builds the binary")
	t.Parallel()
	b := newBlueGreenBinary(t)
	const name = "bg-cli-rule"
	if code, _, stderr := b.deploy(name, "--strategy", "canary", "--pause-before-production"); code != 0 {
		t.Fatalf("create: exit %d\n%s", code, stderr)
	}
	b.shift(name, 0, 100)
	const waiting = "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/s/42"
	b.m.JSON(t, "ssm", "AmazonSSM.PutParameter", map[string]any{"Name": stack.GateParameterName(name), "Type": "String", "Overwrite": true,
		"Value": fmt.Sprintf("%s %s %d", stack.GateWaiting, waiting, time.Now().Unix())}, nil)

	code, stdout, stderr := b.deploy(name, "--strategy", "canary", "--canary-percent", "20", "--on-pause", "continue")
	if code != 0 {
		t.Fatalf("update: exit %d\n%s\n%s", code, stdout, stderr)
	}
	plans := planBlocks(stdout)
	service := false
	for _, p := range plans {
		if strings.Contains(p, " Service ") {
			service = true
			if strings.Contains(p, "ProductionListenerRule") {
				t.Errorf("a change set modifies the production rule and the service together:\n%s", p)
			}
		}
	}
	if !service {
		t.Errorf("no plan changes the service; the test proves nothing:\n%s", stdout)
	}
	if !strings.Contains(stderr, "Approved: production traffic moves to ECS deployment 42.") {
		t.Errorf("the deployment at the deployed template's gate was not answered; stderr:\n%s", stderr)
	}
}
