package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// stackInput reads the deploy input as deploy and diff do, for a stack
// that remembers nothing (a new one), without AWS.
func stackInput(c *cli.Context) (deploy.Input, error) {
	ss, err := readStackSources(c)
	if err != nil {
		return deploy.Input{}, err
	}
	run, err := ss.complete(nil, false)
	if err != nil {
		return deploy.Input{}, err
	}
	return run.in, nil
}

// captureInput runs the deploy flags through stackInput, as the deploy and
// diff commands do, and returns what would be sent.
func captureInput(t *testing.T, args ...string) (deploy.Input, error) {
	t.Helper()
	c := captureDeploy(t, nil, args...)
	return c.in, c.err
}

func captureInputEnv(t *testing.T, env map[string]string, args ...string) (deploy.Input, error) {
	t.Helper()
	c := captureDeploy(t, env, args...)
	return c.in, c.err
}

// captured is what the deploy command would send, and the flags it reads
// after stackInput.
type captured struct {
	in                                   deploy.Input
	err                                  error
	timeout                              time.Duration
	noWait, terminationProtection, allow bool
	aws                                  deploy.ClientOptions
}

// captureDeploy runs the deploy command of newApp, with its flags, up to
// the point where it would call AWS, with only the given CFNFARGATE_*
// variables set.
func captureDeploy(t *testing.T, env map[string]string, args ...string) captured {
	t.Helper()
	clearEnv(t)
	// The region of the certificate in network.
	isolateAWS(t, "eu-west-1")
	for k, v := range env {
		t.Setenv(k, v)
	}
	var got captured
	app := newApp(io.Discard, io.Discard)
	for _, cmd := range app.Commands {
		if cmd.Name == "deploy" {
			cmd.Action = prepared(func(c *cli.Context) error {
				got.in, got.err = stackInput(c)
				got.timeout, got.noWait = c.Duration("timeout"), c.Bool("no-wait")
				got.terminationProtection, got.allow = c.Bool("termination-protection"), c.Bool("allow-replacement")
				got.aws = clientOptions(c)
				return nil
			})
		}
	}
	if err := app.Run(append([]string{"cfnfargate", "deploy"}, args...)); err != nil {
		t.Fatal(err)
	}
	return got
}

var network = []string{"--stack", "shop",
	"--vpc-id", "vpc-0abc1234def567890",
	"--public-subnets", "subnet-0aaa1111bbb22223a,subnet-0aaa1111bbb22223b",
	"--private-subnets", "subnet-0ccc3333ddd44445c",
	"--certificate-arn", "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"}

// TestStackInput proves what deploy and diff send: the network
// parameters, the settings that are parameters only when given, the
// capabilities the template needs, tags and the service role.
func TestStackInput(t *testing.T) {
	base := map[string]string{
		"VpcId":            "vpc-0abc1234def567890",
		"PublicSubnetIds":  "subnet-0aaa1111bbb22223a,subnet-0aaa1111bbb22223b",
		"PrivateSubnetIds": "subnet-0ccc3333ddd44445c",
		"CertificateArn":   "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
	}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name       string
		args       []string
		wantParams map[string]string
		wantTags   map[string]string
	}{
		{"settings not given are not sent", nil, base, map[string]string{}},
		{"image, count and public tasks given", []string{"--image", "nginx:1.27", "--desired-count", "3", "--public-tasks"},
			with(map[string]string{"ContainerImage": "nginx:1.27", "DesiredCount": "3", "AssignPublicIp": "ENABLED"}), map[string]string{}},
		{"public tasks turned off explicitly", []string{"--public-tasks=false"},
			with(map[string]string{"AssignPublicIp": "DISABLED"}), map[string]string{}},
		{"no DesiredCount parameter with autoscaling; MaxCount instead", []string{"--desired-count", "3", "--max-count", "4", "--scale-cpu-percent", "50"},
			with(map[string]string{"MaxCount": "4"}), map[string]string{}},
		{"tags", []string{"--tag", "team=payments", "--tag", "env=prod"},
			base, map[string]string{"team": "payments", "env": "prod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := captureInput(t, append(append([]string{}, network...), tt.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(in.Parameters, tt.wantParams) {
				t.Errorf("parameters = %v\nwant %v", in.Parameters, tt.wantParams)
			}
			if !reflect.DeepEqual(in.Tags, tt.wantTags) {
				t.Errorf("tags = %v, want %v", in.Tags, tt.wantTags)
			}
			if !reflect.DeepEqual(in.Capabilities, []string{"CAPABILITY_IAM"}) {
				t.Errorf("capabilities = %v, want CAPABILITY_IAM", in.Capabilities)
			}
			if in.StackName != "shop" || !strings.HasPrefix(in.TemplateBody, "AWSTemplateFormatVersion") {
				t.Errorf("stack %q, template %.40q", in.StackName, in.TemplateBody)
			}
		})
	}

	in, err := captureInput(t, append(append([]string{}, network...), "--role-arn", "arn:aws:iam::123456789012:role/cfn-deployer")...)
	if err != nil || in.RoleARN != "arn:aws:iam::123456789012:role/cfn-deployer" {
		t.Errorf("role = %q, err %v", in.RoleARN, err)
	}
}

// TestStackInputRejects proves deploy input problems and settings problems
// come back together, naming each flag.
func TestStackInputRejects(t *testing.T) {
	_, err := captureInput(t, "--stack", "9lives", "--vpc-id", "vpc-1", "--public-subnets", "subnet-0aaa1111bbb22223a",
		"--certificate-arn", "arn:aws:iam::123456789012:server-certificate/x", "--timeout", "-5s", "--cpu", "3", "--internal")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"--stack:", "--vpc-id:", "--certificate-arn:", "--timeout:", "--cpu:", "--allow-cidr, --internal:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// An internal load balancer sits in the private subnets, so one public
	// subnet is enough.
	if strings.Contains(err.Error(), "--public-subnets") {
		t.Errorf("one public subnet was refused for an internal load balancer:\n%v", err)
	}
	if code := report(&strings.Builder{}, err); code != deploy.ExitInput {
		t.Errorf("exit %d, want %d", code, deploy.ExitInput)
	}
}

// TestInterruptible proves the first Ctrl-C, or SIGTERM as a CI system
// sends it, cancels the context (so the deployer can cancel an update,
// delete the change set and show the rollback) instead of killing the
// process; that its message starts a line of its own after a live status
// line, without a blank line in a log; and that stop releases the signal.
func TestInterruptible(t *testing.T) {
	tests := []struct {
		name       string
		sig        syscall.Signal
		stdout     string // what the progress printed before the signal
		wantStdout string
		wantStderr string
	}{
		{"Ctrl-C after a live status line", syscall.SIGINT, "update: 3 done", "update: 3 done\n",
			"cfnfargate: interrupted; press Ctrl-C again to exit at once\n"},
		{"Ctrl-C in a log", syscall.SIGINT, "12:00:01  Service  CREATE_IN_PROGRESS\n", "12:00:01  Service  CREATE_IN_PROGRESS\n",
			"cfnfargate: interrupted; press Ctrl-C again to exit at once\n"},
		{"SIGTERM after a live status line", syscall.SIGTERM, "create: 1 done", "create: 1 done\n",
			"cfnfargate: terminated; stopping as for Ctrl-C (a second signal exits at once)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Should the handler not take the signal, this keeps it from
			// ending the test binary.
			safety := make(chan os.Signal, 1)
			signal.Notify(safety, tt.sig)
			defer signal.Stop(safety)

			var stdout, stderr syncBuffer
			out := newConsole(&stdout, &stderr)
			ctx, stop := interruptible(context.Background(), out)
			defer stop()
			io.WriteString(out.stdout, tt.stdout)
			if err := syscall.Kill(os.Getpid(), tt.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Second):
				t.Fatalf("the context was not cancelled by %v", tt.sig)
			}
			stop()
			if got := stdout.String(); got != tt.wantStdout {
				t.Errorf("stdout = %q, want %q", got, tt.wantStdout)
			}
			if got := stderr.String(); got != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", got, tt.wantStderr)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer that a signal handler and a test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTemplateTooLarge proves a template over the TemplateBody limit is bad
// input for deploy, before anything is sent, while emit still writes it
// with a warning.
func TestTemplateTooLarge(t *testing.T) {
	args := []string{}
	for i := 0; i < 2000; i++ {
		args = append(args, "--env", "VARIABLE_"+strconv.Itoa(i)+"=value")
	}
	_, err := captureInput(t, append(append([]string{}, network...), args...)...)
	if err == nil || !strings.Contains(err.Error(), "CloudFormation accepts at most 51200 bytes") {
		t.Errorf("deploy of a large template: %v", err)
	}
	code, stdout, stderr := runCLI(t, append([]string{"emit"}, args...)...)
	if code != 0 || len(stdout) <= deploy.MaxTemplateBody || !strings.Contains(stderr, "warning: the template is") {
		t.Errorf("emit: exit %d, %d bytes, stderr %q", code, len(stdout), stderr)
	}
}

// isolateAWS gives the test an AWS configuration of its own: no profile
// files, fake credentials, the region given ("" for none) and no endpoint
// overrides, so that the developer's settings cannot change the outcome
// and nothing can reach AWS.
func isolateAWS(t *testing.T, region string) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":                 filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE":     filepath.Join(dir, "credentials"),
		"AWS_PROFILE":                     "",
		"AWS_DEFAULT_PROFILE":             "",
		"AWS_ACCESS_KEY_ID":               "testing",
		"AWS_SECRET_ACCESS_KEY":           "testing",
		"AWS_EC2_METADATA_DISABLED":       "true",
		"AWS_ENDPOINT_URL":                "",
		"AWS_ENDPOINT_URL_CLOUDFORMATION": "",
		"AWS_REGION":                      region,
		"AWS_DEFAULT_REGION":              "",
	} {
		t.Setenv(k, v)
	}
}

// requestCounter is an endpoint that counts the requests it gets, to prove
// that a command sent none.
func requestCounter(t *testing.T) (url string, count func() int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Error(w, "this test expects no AWS request", http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, n.Load
}

// changeCounter is an endpoint that refuses every request, and counts
// those that could change something, to prove that a command sent only
// reads (Describe, Get, List): a run with bad input reads what the stack
// remembers and looks at the account, to report every problem at once.
func changeCounter(t *testing.T) (url string, count func() int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		action := r.Header.Get("X-Amz-Target")
		if action != "" {
			action = action[strings.LastIndex(action, ".")+1:]
		} else if err := r.ParseForm(); err == nil {
			action = r.PostForm.Get("Action")
		}
		if !isRead(action) {
			n.Add(1)
		}
		http.Error(w, "this test expects no request that changes anything", http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, n.Load
}

// isRead reports whether an AWS action only reads.
func isRead(action string) bool {
	for _, verb := range []string{"Describe", "Get", "List"} {
		if strings.HasPrefix(action, verb) {
			return true
		}
	}
	return false
}

// TestDeployCatchesLocalMistakesBeforeAnyRequest proves that deploy and
// diff reject, with exit 2 and without sending a request that changes
// anything, a certificate in another region than the stack (the region
// coming from --region, AWS_REGION or the profile, as the SDK resolves
// it) and a subnet given as both public and private; and that a
// certificate in the stack's region passes.
func TestDeployCatchesLocalMistakesBeforeAnyRequest(t *testing.T) {
	const euCert = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
	base := []string{"--stack", "shop", "--vpc-id", "vpc-0abc1234def567890",
		"--public-subnets", "subnet-0aaa1111bbb22223a,subnet-0aaa1111bbb22223b",
		"--private-subnets", "subnet-0ccc3333ddd44445c", "--certificate-arn", euCert}
	tests := []struct {
		name      string
		envRegion string
		profile   string // region of a profile "shop" in the config file, passed with --profile
		args      []string
		want      string
	}{
		{name: "region from --region", args: []string{"--region", "us-east-1"},
			want: "--certificate-arn: the certificate is in eu-west-1 but the stack deploys to us-east-1; ACM certificates must be in the load balancer's region"},
		{name: "region from AWS_REGION", envRegion: "ap-southeast-2",
			want: "--certificate-arn: the certificate is in eu-west-1 but the stack deploys to ap-southeast-2"},
		{name: "region from the profile", profile: "us-west-2",
			want: "--certificate-arn: the certificate is in eu-west-1 but the stack deploys to us-west-2"},
		{name: "subnet in both lists", envRegion: "eu-west-1",
			args: []string{"--private-subnets", "subnet-0ccc3333ddd44445c,subnet-0aaa1111bbb22223b"},
			want: "--private-subnets: subnet subnet-0aaa1111bbb22223b is also given in --public-subnets: a subnet is either public or private"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			isolateAWS(t, tt.envRegion)
			args := append([]string{}, base...)
			if tt.profile != "" {
				if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile shop]\nregion = "+tt.profile+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--profile", "shop")
			}
			endpoint, changes := changeCounter(t)
			args = append(append(args, "--endpoint-url", endpoint), tt.args...)
			for _, command := range []string{"deploy", "diff"} {
				code, _, stderr := runCLI(t, append([]string{command}, args...)...)
				if code != deploy.ExitInput || !strings.Contains(stderr, tt.want) {
					t.Errorf("%s: exit %d, stderr:\n%s\nwant exit 2 and %q", command, code, stderr, tt.want)
				}
			}
			if n := changes(); n != 0 {
				t.Errorf("%d requests that could change something reached the endpoint; want none", n)
			}
		})
	}

	if _, err := captureInput(t, network...); err != nil {
		t.Errorf("a certificate in the stack's region (eu-west-1) was refused: %v", err)
	}
}

// TestDeletionProtectionTurnsOnTerminationProtection proves that
// --deletion-protection also asks deploy for stack termination protection,
// because the load balancer's protection alone lets a delete remove the
// service before it fails.
func TestDeletionProtectionTurnsOnTerminationProtection(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"--deletion-protection"}, true},
	} {
		in, err := captureInput(t, append(append([]string{}, network...), tt.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if in.TerminationProtection != tt.want {
			t.Errorf("%v: TerminationProtection = %v; want %v", tt.args, in.TerminationProtection, tt.want)
		}
	}
}

// TestParameterFlag proves that --parameter refuses, with exit 2 and
// before any request that changes anything, a parameter that a flag sets (naming both) and a
// name the template does not declare (listing those it does); and that
// its variable splits at commas, with "\," inside a value.
func TestParameterFlag(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"set by a flag", nil, []string{"--parameter", "ContainerImage=nginx:1.27", "--parameter", "DesiredCount=2"}, []string{
			"--parameter: ContainerImage=nginx:1.27: the ContainerImage parameter is set with --image; give --image instead of --parameter",
			"--parameter: DesiredCount=2: the DesiredCount parameter is set with --desired-count"}},
		{"network parameters", nil, []string{"--parameter", "VpcId=vpc-0abc1234def567890", "--parameter", "AssignPublicIp=ENABLED"}, []string{
			"the VpcId parameter is set with --vpc-id", "the AssignPublicIp parameter is set with --public-tasks"}},
		{"unknown", nil, []string{"--parameter", "Extra=1"}, []string{
			"--parameter: the template has no parameter Extra; it declares AssignPublicIp (--public-tasks), CertificateArn (--certificate-arn), " +
				"ContainerImage (--image), DesiredCount (--desired-count), PrivateSubnetIds (--private-subnets), PublicSubnetIds (--public-subnets), VpcId (--vpc-id)"}},
		{"variable", map[string]string{"CFNFARGATE_PARAMETER": `Extra=a\,b,Other=1`}, nil, []string{
			"CFNFARGATE_PARAMETER: the template has no parameter Extra", "CFNFARGATE_PARAMETER: the template has no parameter Other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := captureInputEnv(t, tt.env, append(append([]string{}, network...), tt.args...)...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if code := report(io.Discard, err); code != deploy.ExitInput {
				t.Errorf("exit %d, want %d", code, deploy.ExitInput)
			}
		})
	}

	// Through the command: exit 2 and no request that changes anything.
	clearEnv(t)
	isolateAWS(t, "eu-west-1")
	endpoint, changes := changeCounter(t)
	code, _, stderr := runCLI(t, append(append([]string{"deploy"}, network...), "--endpoint-url", endpoint, "--parameter", "ContainerImage=nginx:1.27")...)
	if code != deploy.ExitInput || !strings.Contains(stderr, "--image") {
		t.Errorf("deploy: exit %d, stderr %s", code, stderr)
	}
	if n := changes(); n != 0 {
		t.Errorf("%d requests that could change something reached AWS; want none", n)
	}
}

// TestDebugFlag proves --debug, or CFNFARGATE_DEBUG, asks the AWS clients
// for the SDK's own log lines.
func TestDebugFlag(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		args []string
		want bool
	}{
		{nil, nil, false},
		{nil, []string{"--debug"}, true},
		{map[string]string{"CFNFARGATE_DEBUG": "true"}, nil, true},
	} {
		if got := captureDeploy(t, tt.env, append(append([]string{}, network...), tt.args...)...).aws.Debug; got != tt.want {
			t.Errorf("%v %v: Debug = %v, want %v", tt.env, tt.args, got, tt.want)
		}
	}
}

// TestInvalidInputReadsAlike proves every list of input problems reads the
// same way, whichever part of the program found them: the command line
// (a bad --stack), the deployer (parameters a new stack needs, found after
// asking CloudFormation whether the stack exists) and the AWS client (no
// region): "invalid input:", then one problem a line, and exit 2. The
// deployer's lists used to read "invalid input: ..." for one problem and
// "invalid input (2 problems):" for more.
func TestInvalidInputReadsAlike(t *testing.T) {
	clearEnv(t)
	cf := newFakeCloudFormation(t)
	tests := []struct {
		name   string
		region string
		args   []string
		want   []string // the problem lines, in order
	}{
		{"found by the command line", "eu-west-1", []string{"deploy", "--stack", "9lives", "--endpoint-url", cf.URL},
			[]string{`--stack: stack name "9lives" is not allowed`}},
		{"found by the deployer", "eu-west-1", []string{"deploy", "--stack", "newshop", "--endpoint-url", cf.URL},
			[]string{"--private-subnets: parameter PrivateSubnetIds is required", "--public-subnets: parameter PublicSubnetIds is required"}},
		{"found by the AWS client", "", []string{"status", "--stack", "shop", "--endpoint-url", cf.URL},
			[]string{"--region: no AWS region is set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateAWS(t, tt.region)
			code, _, stderr := runCLI(t, tt.args...)
			title, rest, _ := strings.Cut(stderr, "\n")
			lines := strings.Split(strings.TrimSuffix(rest, "\n"), "\n")
			if code != deploy.ExitInput || title != "cfnfargate: invalid input:" || len(lines) < len(tt.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit 2, the line \"cfnfargate: invalid input:\" and then the problems %q", code, stderr, tt.want)
			}
			for i, want := range tt.want {
				if !strings.HasPrefix(lines[i], "  "+want) {
					t.Errorf("problem line %d = %q; want it to start with %q", i+1, lines[i], "  "+want)
				}
			}
		})
	}
}

// TestTimeoutMustBePositive proves deploy and delete refuse a
// --timeout that is not positive the same way, with exit 2 and before any
// request that changes anything: 0 would otherwise mean the library's
// default.
func TestTimeoutMustBePositive(t *testing.T) {
	clearEnv(t)
	isolateAWS(t, "eu-west-1")
	endpoint, changes := changeCounter(t)
	for _, command := range [][]string{
		append([]string{"deploy"}, network...),
		{"delete", "--stack", "shop", "--yes"},
	} {
		code, _, stderr := runCLI(t, append(command, "--timeout", "0s", "--endpoint-url", endpoint)...)
		if want := "--timeout: 0s is not a positive duration; give one such as 30m or 1h"; code != deploy.ExitInput || !strings.Contains(stderr, want) {
			t.Errorf("%s --timeout 0s: exit %d, stderr:\n%s\nwant exit 2 and %q", command[0], code, stderr, want)
		}
	}
	if n := changes(); n != 0 {
		t.Errorf("%d requests that could change something reached the endpoint; want none", n)
	}

	// diff has no --timeout, so no timeout of its own to refuse: it gets as
	// far as asking CloudFormation.
	cf := newFakeCloudFormation(t)
	code, _, stderr := runCLI(t, append(append([]string{"diff"}, network...), "--endpoint-url", cf.URL)...)
	if code == deploy.ExitInput || strings.Contains(stderr, "--timeout") || len(cf.Requests()) == 0 {
		t.Errorf("diff: exit %d, %d requests, stderr:\n%s\nwant it to reach CloudFormation", code, len(cf.Requests()), stderr)
	}
}

// TestPrivateSubnetsWithPublicTasks proves trial A1 is gone: with
// --public-tasks the private subnets, which the tasks do not use, may be
// left out or repeat the public ones (a default VPC with two subnets has
// nothing else to give), while tasks without public IPs still need their
// private subnets kept apart from the public ones.
func TestPrivateSubnetsWithPublicTasks(t *testing.T) {
	public := "subnet-1c02df424e23716cd,subnet-659787724bb5530a0"
	base := []string{"--stack", "uw1", "--vpc-id", "vpc-7244cfe63496abb2a", "--public-subnets", public}
	if in, err := captureInput(t, append(base, "--public-tasks")...); err != nil {
		t.Errorf("--public-tasks without --private-subnets: %v", err)
	} else if _, sent := in.Parameters["PrivateSubnetIds"]; sent {
		t.Errorf("PrivateSubnetIds = %q; want it left to the pre-flight, which repeats the public subnets on a create", in.Parameters["PrivateSubnetIds"])
	}
	if _, err := captureInput(t, append(base, "--public-tasks", "--private-subnets", public)...); err != nil {
		t.Errorf("--public-tasks with the public subnets as private ones: %v", err)
	}
	_, err := captureInput(t, append(base, "--private-subnets", public)...)
	if err == nil || !strings.Contains(err.Error(), "also given in --public-subnets") {
		t.Errorf("private tasks in the public subnets: %v; want them refused", err)
	}
}
