package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// Proves, end to end through the binary against moto: an environment's
// stack, then three services in it on different hosts and paths, share one
// load balancer, each with the listener rule its flags describe
// (read back through the ELBv2 API) forwarding to its own target group; a
// service whose priority another rule holds is refused before anything is
// created; deleting the environment while services route through it is
// refused, naming them; deleting one service removes its rule and leaves
// the others and the environment alone; and once no service is left, the
// environment is deleted.
func TestEnvironmentAgainstMoto(t *testing.T) {
	testenv.SkipIfShort(t, "starts moto_server and builds the binary")
	t.Parallel()
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	cf := motoBinary(t, m)
	// The account's ECS role exists, so no deploy waits for a new one.
	m.CreateECSRole(t)

	network := n.Flags()
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	cfn := cloudformation.New(cloudformation.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), Credentials: creds})
	elb := elbv2.New(elbv2.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), Credentials: creds})

	t.Run("env deploy and delete", func(t *testing.T) {
		code, stdout, stderr := cf.run(append([]string{"env", "deploy", "--env", "e2e-cli"}, network...)...)
		if code != 0 || !strings.Contains(stdout, "CREATE_COMPLETE") {
			t.Fatalf("env deploy: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if code, _, stderr := cf.run("env", "delete", "--env", "e2e-cli", "--yes"); code != 0 {
			t.Fatalf("env delete of an environment without services: exit %d, stderr %s", code, stderr)
		}
	})

	// moto's ExecuteChangeSet creates a stack without its outputs, which
	// CreateStack does give it (and AWS gives both); the environment the
	// services join is therefore created with CreateStack, from the
	// template env emit prints.
	code, body, stderr := cf.run("env", "emit", "--env", "e2e")
	if code != 0 {
		t.Fatalf("env emit: exit %d, stderr %s", code, stderr)
	}
	var params []cftypes.Parameter
	for k, v := range map[string]string{"VpcId": n.VpcID, "PublicSubnetIds": strings.Join(n.PublicSubnets, ","),
		"PrivateSubnetIds": strings.Join(n.PrivateSubnets, ","), "CertificateArn": n.CertificateArn} {
		params = append(params, cftypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
	}
	if _, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(stack.EnvironmentStackName("e2e")),
		TemplateBody: aws.String(body), Parameters: params}); err != nil {
		t.Fatalf("CreateStack env-e2e: %v", err)
	}

	services := []struct {
		stackName string
		args      []string
		field     string
		values    []string
	}{
		{"e2e-api", []string{"--name", "api", "--host", "api.example.com"}, "host-header", []string{"api.example.com"}},
		{"e2e-web", []string{"--name", "web", "--host", "www.example.com", "--host", "example.com"}, "host-header", []string{"www.example.com", "example.com"}},
		{"e2e-orders", []string{"--name", "orders", "--path", "/orders/*"}, "path-pattern", []string{"/orders/*"}},
	}
	for _, s := range services {
		code, stdout, stderr := cf.run(append([]string{"deploy", "--environment", "e2e", "--stack", s.stackName}, s.args...)...)
		if code != 0 || !strings.Contains(stdout, "CREATE_COMPLETE") {
			t.Fatalf("deploy %s: exit %d\nstdout:\n%s\nstderr:\n%s", s.stackName, code, stdout, stderr)
		}
	}

	envStack, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack.EnvironmentStackName("e2e"))})
	if err != nil {
		t.Fatal(err)
	}
	var listener string
	for _, o := range envStack.Stacks[0].Outputs {
		if aws.ToString(o.OutputKey) == stack.ParamListenerArn {
			listener = aws.ToString(o.OutputValue)
		}
	}
	rules := func() []elbv2Rule {
		t.Helper()
		out, err := elb.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: aws.String(listener)})
		if err != nil {
			t.Fatalf("DescribeRules: %v", err)
		}
		var rs []elbv2Rule
		for _, r := range out.Rules {
			if aws.ToBool(r.IsDefault) {
				continue
			}
			rule := elbv2Rule{arn: aws.ToString(r.RuleArn), priority: aws.ToString(r.Priority)}
			for _, c := range r.Conditions {
				rule.field = aws.ToString(c.Field)
				switch {
				case c.HostHeaderConfig != nil:
					rule.values = c.HostHeaderConfig.Values
				case c.PathPatternConfig != nil:
					rule.values = c.PathPatternConfig.Values
				default:
					rule.values = c.Values
				}
			}
			for _, a := range r.Actions {
				rule.targetGroup = aws.ToString(a.TargetGroupArn)
			}
			rs = append(rs, rule)
		}
		return rs
	}
	ruleOf := func(stackName string, all []elbv2Rule) (elbv2Rule, bool) {
		t.Helper()
		res, err := deploy.Locate(ctx, cfn, stackName)
		if err != nil {
			t.Fatalf("Locate(%s): %v", stackName, err)
		}
		for _, r := range all {
			if r.arn == res.ListenerRuleARN {
				if len(res.TargetGroupARNs) != 1 || r.targetGroup != res.TargetGroupARNs[0] {
					t.Errorf("%s: its rule forwards to %s; its target groups are %q", stackName, r.targetGroup, res.TargetGroupARNs)
				}
				return r, true
			}
		}
		return elbv2Rule{}, false
	}

	all := rules()
	if len(all) != len(services) {
		t.Fatalf("the listener has %d rules; want one per service (%d): %+v", len(all), len(services), all)
	}
	priorities := map[string]bool{}
	for _, s := range services {
		r, ok := ruleOf(s.stackName, all)
		if !ok {
			t.Fatalf("no rule of %s on the environment's listener", s.stackName)
		}
		if r.field != s.field || !slices.Equal(r.values, s.values) {
			t.Errorf("%s: rule matches %s %q; want %s %q", s.stackName, r.field, r.values, s.field, s.values)
		}
		priorities[r.priority] = true
	}
	if len(priorities) != len(services) {
		t.Errorf("the services' rules share priorities: %v", priorities)
	}

	t.Run("a taken priority is refused before anything changes", func(t *testing.T) {
		api, _ := ruleOf("e2e-api", rules())
		code, _, stderr := cf.run("deploy", "--environment", "e2e", "--stack", "e2e-clash", "--name", "clash", "--host", "clash.example.com", "--priority", api.priority)
		if code != deploy.ExitInput || !strings.Contains(stderr, "--priority") || !strings.Contains(stderr, "priority "+api.priority+" is taken") {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
		if _, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("e2e-clash")}); err == nil {
			t.Error("the refused deploy created stack e2e-clash")
		}
	})

	t.Run("the environment is not deleted while services use it", func(t *testing.T) {
		code, _, stderr := cf.run("env", "delete", "--env", "e2e", "--yes")
		if code != deploy.ExitFailure {
			t.Errorf("env delete with services: exit %d, stderr %s", code, stderr)
		}
		for _, s := range services {
			if !strings.Contains(stderr, s.stackName) {
				t.Errorf("the refusal does not name %s: %s", s.stackName, stderr)
			}
		}
		if _, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack.EnvironmentStackName("e2e"))}); err != nil {
			t.Errorf("the environment is gone after a refused delete: %v", err)
		}
	})

	t.Run("deleting a service leaves the others and the environment alone", func(t *testing.T) {
		web, _ := ruleOf("e2e-web", rules())
		if code, _, stderr := cf.run("delete", "--stack", "e2e-web", "--yes"); code != 0 {
			t.Fatalf("delete e2e-web: exit %d, stderr %s", code, stderr)
		}
		if out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("e2e-web")}); err == nil && out.Stacks[0].StackStatus != "DELETE_COMPLETE" {
			t.Errorf("e2e-web is %s after delete", out.Stacks[0].StackStatus)
		}
		left := rules()
		for _, name := range []string{"e2e-api", "e2e-orders"} {
			if _, ok := ruleOf(name, left); !ok {
				t.Errorf("deleting e2e-web removed the rule of %s", name)
			}
		}
		if _, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack.EnvironmentStackName("e2e"))}); err != nil {
			t.Errorf("deleting a service deleted the environment: %v", err)
		}
		// CloudFormation deletes a stack's ListenerRule with it on AWS;
		// moto's DeleteStack leaves it (and its target group) in place, so
		// here the rule's removal is seen only as the stack's.
		if slices.ContainsFunc(left, func(r elbv2Rule) bool { return r.arn == web.arn }) {
			t.Logf("moto kept the deleted stack's listener rule %s", web.arn)
		}
	})

	t.Run("an environment without services is deleted", func(t *testing.T) {
		for _, name := range []string{"e2e-api", "e2e-orders"} {
			if code, _, stderr := cf.run("delete", "--stack", name, "--yes"); code != 0 {
				t.Fatalf("delete %s: exit %d, stderr %s", name, code, stderr)
			}
		}
		// What AWS does when it deletes the services' stacks, and moto
		// does not (see above): their rules go.
		for _, r := range rules() {
			if _, err := elb.DeleteRule(ctx, &elbv2.DeleteRuleInput{RuleArn: aws.String(r.arn)}); err != nil {
				t.Fatalf("DeleteRule: %v", err)
			}
		}
		if code, stdout, stderr := cf.run("env", "delete", "--env", "e2e", "--yes"); code != 0 {
			t.Fatalf("env delete: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack.EnvironmentStackName("e2e"))})
		if err == nil && len(out.Stacks) > 0 && out.Stacks[0].StackStatus != "DELETE_COMPLETE" {
			t.Errorf("environment stack is %s after env delete", out.Stacks[0].StackStatus)
		}
	})
}

type elbv2Rule struct {
	arn, priority, field, targetGroup string
	values                            []string
}

// replacingProxy passes requests to moto, and SIMULATES what moto's change
// sets do not report: in DescribeChangeSet answers, a modification of one
// of its logical IDs gets Replacement True, as CloudFormation reports for a
// change of a create-only property (the load balancer's Scheme).
func replacingProxy(t *testing.T, m *testenv.Moto, ids ...string) string {
	t.Helper()
	target, err := url.Parse(m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Header.Get("X-Describe-Change-Set") == "" {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		text := string(body)
		for _, id := range ids {
			tag := "<LogicalResourceId>" + id + "</LogicalResourceId>"
			text = strings.ReplaceAll(text, tag, tag+"<Replacement>True</Replacement>")
		}
		resp.Body = io.NopCloser(strings.NewReader(text))
		resp.ContentLength = int64(len(text))
		resp.Header.Set("Content-Length", strconv.Itoa(len(text)))
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") == "DescribeChangeSet" {
			r.Header.Set("X-Describe-Change-Set", "1")
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Proves, end to end through the binary against moto:
//   - an environment stack without outputs (moto's change sets make one)
//     is named with the output a service needs, and nothing is deployed;
//   - three services join one environment with only --stack and --host,
//     each with a priority of its own, though their --name is the same
//     (the colliding priorities); an update keeps its rule's
//     priority; a --priority another service holds is refused, naming
//     that service's stack;
//   - env deploy refuses, naming the services, a plan that replaces the
//     load balancer while they route through it (F9; the replacement is
//     SIMULATED by replacingProxy, as moto's change sets do not report
//     replacements).
func TestEnvironmentServicesByStack(t *testing.T) {
	m, n, cf := onSharedMoto(t)
	network := n.Flags()
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	cfn := cloudformation.New(cloudformation.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), Credentials: creds})
	elb := elbv2.New(elbv2.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), Credentials: creds})

	t.Run("an environment without outputs is named", func(t *testing.T) {
		if code, _, stderr := cf.run(append([]string{"env", "deploy", "--env", "bare"}, network...)...); code != 0 {
			t.Fatalf("env deploy: exit %d\n%s", code, stderr)
		}
		code, _, stderr := cf.run("deploy", "--environment", "bare", "--stack", "bare-api", "--host", "api.example.com")
		if code != deploy.ExitFailure || !strings.Contains(stderr, "environment stack env-bare") || !strings.Contains(stderr, stack.ParamListenerArn) ||
			strings.Contains(stderr, "DescribeRules") {
			t.Errorf("deploy into an environment without outputs: exit %d, stderr:\n%s\nwant exit 1 naming env-bare and ListenerArn", code, stderr)
		}
		if _, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("bare-api")}); err == nil {
			t.Error("the refused deploy created stack bare-api")
		}
	})

	createEnvironment(t, cf, cfn, n, "bystack")
	priorityOf := func(stackName string) string {
		t.Helper()
		res, err := deploy.Locate(ctx, cfn, stackName)
		if err != nil || res.ListenerRuleARN == "" {
			t.Fatalf("Locate(%s) = %+v, %v", stackName, res, err)
		}
		out, err := elb.DescribeRules(ctx, &elbv2.DescribeRulesInput{RuleArns: []string{res.ListenerRuleARN}})
		if err != nil || len(out.Rules) != 1 {
			t.Fatalf("DescribeRules: %v", err)
		}
		return aws.ToString(out.Rules[0].Priority)
	}
	priorities := map[string]string{}
	for _, s := range []string{"api", "web", "admin"} {
		code, stdout, stderr := cf.run("deploy", "--environment", "bystack", "--stack", s, "--host", s+".example.com")
		if code != 0 {
			t.Fatalf("deploy %s with --stack and --host only: exit %d\nstdout:\n%s\nstderr:\n%s", s, code, stdout, stderr)
		}
		tagTargetGroups(t, cfn, elb, s)
		p := priorityOf(s)
		for other, q := range priorities {
			if q == p {
				t.Errorf("%s and %s share priority %s", s, other, p)
			}
		}
		priorities[s] = p
	}

	if code, _, stderr := cf.run("deploy", "--environment", "bystack", "--stack", "web", "--host", "web.example.com", "--desired-count", "2"); code != 0 {
		t.Fatalf("update of web: exit %d\n%s", code, stderr)
	}
	if got := priorityOf("web"); got != priorities["web"] {
		t.Errorf("the update moved web's rule from priority %s to %s", priorities["web"], got)
	}

	code, _, stderr := cf.run("deploy", "--environment", "bystack", "--stack", "clash", "--host", "clash.example.com", "--priority", priorities["api"])
	if code != deploy.ExitInput || !strings.Contains(stderr, "--priority") || !strings.Contains(stderr, "service api") || strings.Contains(stderr, "listener-rule/") {
		t.Errorf("a priority api holds: exit %d, stderr:\n%s\nwant exit 2 naming service api, not its rule's ARN", code, stderr)
	}
}

// createEnvironment creates environment name's stack with CreateStack,
// which gives it its outputs where moto's change sets do not (see
// TestEnvironmentAgainstMoto), and returns the stack's name.
func createEnvironment(t *testing.T, cf binary, cfn *cloudformation.Client, n testenv.Network, name string) string {
	t.Helper()
	code, body, stderr := cf.run("env", "emit", "--env", name)
	if code != 0 {
		t.Fatalf("env emit: exit %d, stderr %s", code, stderr)
	}
	var params []cftypes.Parameter
	for k, v := range map[string]string{"VpcId": n.VpcID, "PublicSubnetIds": strings.Join(n.PublicSubnets, ","),
		"PrivateSubnetIds": strings.Join(n.PrivateSubnets, ","), "CertificateArn": n.CertificateArn} {
		params = append(params, cftypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
	}
	envStack := stack.EnvironmentStackName(name)
	if _, err := cfn.CreateStack(context.Background(), &cloudformation.CreateStackInput{StackName: aws.String(envStack), TemplateBody: aws.String(body), Parameters: params}); err != nil {
		t.Fatalf("CreateStack: %v", err)
	}
	return envStack
}

// tagTargetGroups does what CloudFormation does on AWS and moto's does
// not: tag a service's target groups with its stack (the template's Tags).
func tagTargetGroups(t *testing.T, cfn *cloudformation.Client, elb *elbv2.Client, stackName string) {
	t.Helper()
	located, err := deploy.Locate(context.Background(), cfn, stackName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := elb.AddTags(context.Background(), &elbv2.AddTagsInput{ResourceArns: located.TargetGroupARNs,
		Tags: []elbtypes.Tag{{Key: aws.String(stack.TagServiceStack), Value: aws.String(stackName)}}}); err != nil {
		t.Fatalf("AddTags: %v", err)
	}
}

// Proves (F9), end to end through the binary against moto: env deploy
// refuses, naming the services and before anything changes, a plan that
// replaces the load balancer while services route through it, even with
// --allow-replacement; env diff warns of it. The replacement is SIMULATED
// by replacingProxy: moto's change sets do not report replacements.
func TestEnvironmentReplacementWithServicesRefused(t *testing.T) {
	m, n, cf := onSharedMoto(t)
	network := n.Flags()
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	cfn := cloudformation.New(cloudformation.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), Credentials: creds})
	elb := elbv2.New(elbv2.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), Credentials: creds})
	envStack := createEnvironment(t, cf, cfn, n, "moving")
	for _, s := range []string{"shop", "blog"} {
		if code, _, stderr := cf.run("deploy", "--environment", "moving", "--stack", "moving-"+s, "--name", s, "--host", s+".example.com"); code != 0 {
			t.Fatalf("deploy %s: exit %d\n%s", s, code, stderr)
		}
		tagTargetGroups(t, cfn, elb, "moving-"+s)
	}

	replacing := binary{t: t, path: cf.path, env: append(slices.Clone(cf.env), "AWS_ENDPOINT_URL="+replacingProxy(t, m, "LoadBalancer"))}
	internal := append([]string{"--env", "moving", "--internal", "--allow-cidr", "10.0.0.0/8"}, network...)
	code, _, stderr := replacing.run(append([]string{"env", "deploy", "--allow-replacement"}, internal...)...)
	if code != deploy.ExitFailure || !strings.Contains(stderr, "replaces LoadBalancer") || !strings.Contains(stderr, "moving-shop") || !strings.Contains(stderr, "moving-blog") {
		t.Errorf("env deploy that replaces the load balancer: exit %d, stderr:\n%s\nwant exit 1 naming both services", code, stderr)
	}
	out, err := cfn.DescribeStacks(context.Background(), &cloudformation.DescribeStacksInput{StackName: aws.String(envStack)})
	if err != nil || out.Stacks[0].StackStatus != cftypes.StackStatusCreateComplete {
		t.Errorf("the environment after the refusal: %v; want it untouched, CREATE_COMPLETE", err)
		if err == nil {
			t.Logf("it is %s", out.Stacks[0].StackStatus)
		}
	}
	code, stdout, stderr := replacing.run(append([]string{"env", "diff"}, internal...)...)
	if code != 0 || !strings.Contains(stdout, "deploy would refuse this plan") || !strings.Contains(stdout, "moving-shop") {
		t.Errorf("env diff of that change: exit %d, stdout:\n%s\nstderr:\n%s\nwant a warning naming the services", code, stdout, stderr)
	}
}
