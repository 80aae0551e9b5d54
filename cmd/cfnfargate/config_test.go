package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// writeConfig writes a config file for the test and returns its path.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.yaml")
	must(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

// TestConfigFileHoldsEveryFlag proves the config file takes the keys of
// every flag of deploy: stack, network, certificate, tags, AWS access,
// role, deploy's own options and the template settings, in the shapes
// the README shows (lists, comma-separated subnets, mappings).
func TestConfigFileHoldsEveryFlag(t *testing.T) {
	const cert = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
	config := writeConfig(t, `stack: shop
vpc-id: vpc-0abc1234def567890
public-subnets: [subnet-0aaa1111bbb22223a, subnet-0aaa1111bbb22223b]
private-subnets: subnet-0ccc3333ddd44445c,subnet-0ccc3333ddd44445d
certificate-arn: `+cert+`
role-arn: arn:aws:iam::123456789012:role/cfn-deployer
tag:
  team: payments
region: eu-west-1
profile: shop
endpoint-url: http://localhost:5000
debug: true
timeout: 45m
no-wait: true
termination-protection: true
cpu: 512
memory: 1024
image: nginx:1.27
`)
	got := captureDeploy(t, nil, "--config", config)
	if got.err != nil {
		t.Fatal(got.err)
	}
	wantParams := map[string]string{
		"VpcId":            "vpc-0abc1234def567890",
		"PublicSubnetIds":  "subnet-0aaa1111bbb22223a,subnet-0aaa1111bbb22223b",
		"PrivateSubnetIds": "subnet-0ccc3333ddd44445c,subnet-0ccc3333ddd44445d",
		"CertificateArn":   cert,
		"ContainerImage":   "nginx:1.27",
	}
	if got.in.StackName != "shop" || !reflect.DeepEqual(got.in.Parameters, wantParams) {
		t.Errorf("stack %q, parameters %v\nwant shop, %v", got.in.StackName, got.in.Parameters, wantParams)
	}
	if got.in.RoleARN != "arn:aws:iam::123456789012:role/cfn-deployer" || !reflect.DeepEqual(got.in.Tags, map[string]string{"team": "payments"}) {
		t.Errorf("role %q, tags %v", got.in.RoleARN, got.in.Tags)
	}
	if !strings.Contains(got.in.TemplateBody, `Cpu: "512"`) {
		t.Error("the template does not have cpu 512")
	}
	wantAWS := struct {
		Region, Profile, EndpointURL string
		Debug                        bool
	}{"eu-west-1", "shop", "http://localhost:5000", true}
	if got.aws.Region != wantAWS.Region || got.aws.Profile != wantAWS.Profile || got.aws.EndpointURL != wantAWS.EndpointURL || got.aws.Debug != wantAWS.Debug {
		t.Errorf("AWS options %+v, want %+v", got.aws, wantAWS)
	}
	if got.timeout != 45*time.Minute || !got.noWait || !got.terminationProtection || got.allow {
		t.Errorf("timeout %v, no-wait %v, termination-protection %v, allow-replacement %v", got.timeout, got.noWait, got.terminationProtection, got.allow)
	}
}

// TestConfigFilePrecedence proves a flag beats its variable, and the
// variable beats the config file, for the stack flags as for the settings.
func TestConfigFilePrecedence(t *testing.T) {
	config := writeConfig(t, "stack: from-file\ntimeout: 45m\nvpc-id: vpc-0abc1234def56789f\n")
	args := []string{"--config", config, "--public-subnets", "subnet-0aaa1111bbb22223a,subnet-0aaa1111bbb22223b"}
	tests := []struct {
		name        string
		env         map[string]string
		args        []string
		wantStack   string
		wantTimeout time.Duration
	}{
		{"config file", nil, nil, "from-file", 45 * time.Minute},
		{"variable over config file", map[string]string{"CFNFARGATE_STACK": "from-env", "CFNFARGATE_TIMEOUT": "20m"}, nil, "from-env", 20 * time.Minute},
		{"flag over variable", map[string]string{"CFNFARGATE_STACK": "from-env"}, []string{"--stack", "from-flag", "--timeout", "10m"}, "from-flag", 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := captureDeploy(t, tt.env, append(append([]string{}, args...), tt.args...)...)
			if got.err != nil {
				t.Fatal(got.err)
			}
			if got.in.StackName != tt.wantStack || got.timeout != tt.wantTimeout || got.in.Parameters["VpcId"] != "vpc-0abc1234def56789f" {
				t.Errorf("stack %q, timeout %v, vpc %q; want %q, %v", got.in.StackName, got.timeout, got.in.Parameters["VpcId"], tt.wantStack, tt.wantTimeout)
			}
		})
	}
}

// TestConfigFileProblems proves that bad values of the stack flags in the
// config file are reported with their key and line, together with the
// other problems; that an unknown key is an error with a suggestion; and
// that the keys that only make sense for one run are refused.
func TestConfigFileProblems(t *testing.T) {
	config := writeConfig(t, "stack: 9lives\ntimeout: soon\nno-wait: maybe\ncpu: 3\nstak: x\nyes: true\nparameter:\n  Extra: 1\nallow-replacement: true\n")
	_, err := captureInput(t, "--config", config)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"stack in " + config + " line 1: stack name \"9lives\" is not allowed",
		"timeout in " + config + " line 2: \"soon\" is not a duration such as 30m or 1h",
		"no-wait in " + config + " line 3: \"maybe\" is not true or false",
		"cpu in " + config + " line 4: 3 is not allowed: use 256, 512",
		"line 5: unknown key \"stak\": did you mean \"stack\"?",
		"line 6: yes is not a config key: it applies to one run; give --yes on the command line",
		"line 9: allow-replacement is not a config key: it applies to one run; give --allow-replacement on the command line",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// The settings problems stop the template, so the unknown parameter
	// is checked on its own.
	_, err = captureInput(t, append(append([]string{}, network...), "--config", writeConfig(t, "parameter:\n  Extra: 1\n"))...)
	if err == nil || !strings.Contains(err.Error(), "parameter in ") || !strings.Contains(err.Error(), "the template has no parameter Extra") {
		t.Errorf("parameter in the config file: %v", err)
	}
}

// TestConfigFileForEveryCommand proves that status and delete take
// --config, with their own flags' keys, that one file serves every
// command (emit leaves the stack keys alone, status the settings), and
// that a bad file stops status before any request.
func TestConfigFileForEveryCommand(t *testing.T) {
	clearEnv(t)
	isolateAWS(t, "eu-west-1")
	cf := newFakeCloudFormation(t)
	config := writeConfig(t, "stack: shop\nregion: eu-west-1\nendpoint-url: "+cf.URL+"\ntimeout: 30m\ncpu: 512\nmemory: 1024\n")

	code, stdout, stderr := runCLI(t, "status", "--config", config)
	if code != 0 || !strings.Contains(stdout, "CREATE_COMPLETE") {
		t.Errorf("status: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	// Without a terminal, delete refuses once it has found the stack.
	code, _, stderr = runCLI(t, "delete", "--config", config)
	if code != deploy.ExitInput || !strings.Contains(stderr, "--yes") {
		t.Errorf("delete: exit %d, stderr %s", code, stderr)
	}
	// status reads the stack, then its resources for a blue/green split
	// and for its service (which the fake stack lacks).
	if got, want := cf.Requests(), []string{"DescribeStacks shop", "ListStackResources shop", "ListStackResources shop", "DescribeStacks shop"}; !reflect.DeepEqual(got, want) {
		t.Errorf("requests %v, want %v", got, want)
	}
	if code, stdout, stderr := runCLI(t, "emit", "--config", config); code != 0 || !strings.Contains(stdout, `Cpu: "512"`) {
		t.Errorf("emit: exit %d, stderr %s", code, stderr)
	}

	t.Setenv("CFNFARGATE_CONFIG", writeConfig(t, "stack: shop\nendpoint-url: "+cf.URL+"\nregoin: eu-west-1\ntimeout: soon\n"))
	for _, command := range []string{"status", "delete"} {
		code, _, stderr := runCLI(t, command)
		if code != deploy.ExitInput || !strings.Contains(stderr, `unknown key "regoin": did you mean "region"?`) {
			t.Errorf("%s: exit %d, stderr %s", command, code, stderr)
		}
		if command == "delete" && !strings.Contains(stderr, `timeout in `) {
			t.Errorf("delete: the bad timeout is not reported: %s", stderr)
		}
	}
	if n := len(cf.Requests()); n != 4 {
		t.Errorf("%d requests, want the 4 before the bad file", n)
	}
}
