package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// hintsFor runs withHints on err inside a command that has the AWS flags
// and --role-arn, given args, and returns the error it makes.
func hintsFor(t *testing.T, err error, args ...string) error {
	t.Helper()
	var got error
	app := &cli.App{
		Writer: io.Discard, ErrWriter: io.Discard, ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{{
			Name:  "deploy",
			Flags: append(awsFlags(), &cli.StringFlag{Name: "role-arn", EnvVars: []string{envName("role-arn")}}),
			Action: func(c *cli.Context) error {
				got = withHints(c, err)
				return nil
			},
		}},
	}
	if err := app.Run(append([]string{"cfnfargate", "deploy"}, args...)); err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return got
}

// hintsAWSConfig leaves the SDK nothing to read but AWS_REGION (region),
// so that a hint names no region the test did not choose.
func hintsAWSConfig(t *testing.T, region string) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for _, name := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_DEFAULT_REGION",
		envName("region"), envName("profile"), envName("endpoint_url"), envName("role-arn")} {
		t.Setenv(name, "")
	}
	t.Setenv("AWS_REGION", region)
}

// TestHintsRepeatTheAWSFlags proves that the next steps of an error become
// command lines that repeat the --region, --profile and --endpoint-url the
// user gave, by flag or CFNFARGATE_* variable, and no other; that they name
// the stack's region and account, from its ARN, or the region the run used
// when the ARN is not known; that AWS CLI steps get the same flags; that a
// value the shell would split is quoted; and that the error keeps its exit
// code.
func TestHintsRepeatTheAWSFlags(t *testing.T) {
	const id = "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop/0a1b2c3d"
	timeout := &deploy.TimeoutError{Stack: "shop", StackID: id, Status: "UPDATE_IN_PROGRESS", After: time.Minute}
	interrupted := &deploy.InterruptedError{Stack: "shop", StackID: id, Status: "CREATE_IN_PROGRESS", Hint: "CloudFormation carries on creating it",
		Steps: []deploy.Step{
			{Purpose: "check on it", Command: deploy.StepStatus, Stack: "shop", StackID: id},
			{Purpose: "delete it", Command: deploy.StepDelete, Stack: "shop", StackID: id},
		}}
	blocked := &deploy.BlockedError{Stack: "shop", StackID: id, Status: "UPDATE_ROLLBACK_FAILED", Advice: "finish the rollback, then deploy again",
		Steps: []deploy.Step{
			{Purpose: "finish the rollback", Command: deploy.StepAWS, Args: []string{"cloudformation", "continue-update-rollback", "--stack-name", "shop"}, Stack: "shop", StackID: id},
			{Purpose: "then deploy again", Command: deploy.StepDeploy, Stack: "shop", StackID: id},
		}}
	tests := []struct {
		name string
		err  error
		env  map[string]string
		args []string
		want string // the lines after the error's own text
		code int
	}{
		{"timeout, flags given", timeout, nil, []string{"--region", "eu-west-1", "--endpoint-url", "http://127.0.0.1:4566"},
			"For stack shop in eu-west-1, account 123456789012:\n" +
				"  check on it: cfnfargate status --stack shop --region eu-west-1 --endpoint-url http://127.0.0.1:4566", 1},
		{"Ctrl-C, flags from variables", interrupted, map[string]string{envName("region"): "eu-west-1", envName("profile"): "prod admin"}, nil,
			"For stack shop in eu-west-1, account 123456789012:\n" +
				"  check on it: cfnfargate status --stack shop --region eu-west-1 --profile 'prod admin'\n" +
				"  delete it:   cfnfargate delete --stack shop --region eu-west-1 --profile 'prod admin'", 130},
		{"AWS CLI and deploy steps, role", blocked, nil, []string{"--profile", "prod", "--role-arn", "arn:aws:iam::123456789012:role/cfn"},
			"For stack shop in eu-west-1, account 123456789012:\n" +
				"  finish the rollback: aws cloudformation continue-update-rollback --stack-name shop --profile prod\n" +
				"  then deploy again:   cfnfargate deploy --stack shop --role-arn arn:aws:iam::123456789012:role/cfn --profile prod [settings]", 1},
		{"nothing given, no ARN", &deploy.TimeoutError{Stack: "shop", After: time.Minute}, nil, nil,
			"For stack shop in ap-south-1:\n  check on it: cfnfargate status --stack shop", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hintsAWSConfig(t, "ap-south-1")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			err := hintsFor(t, tt.err, tt.args...)
			if got := strings.TrimPrefix(err.Error(), tt.err.Error()+"\n"); got != tt.want {
				t.Errorf("hint:\n%s\nwant:\n%s", got, tt.want)
			}
			if code := report(io.Discard, err); code != tt.code {
				t.Errorf("exit %d; want %d", code, tt.code)
			}
		})
	}

	hintsAWSConfig(t, "ap-south-1")
	plain := errors.New("some other error")
	if err := hintsFor(t, plain); err != plain {
		t.Errorf("an error without steps became %q", err)
	}
}

// TestCredentialsHint proves that missing credentials are answered with
// the ways to provide them, naming the profile in use in the SSO command,
// with exit status 2.
func TestCredentialsHint(t *testing.T) {
	hintsAWSConfig(t, "us-east-1")
	err := hintsFor(t, &deploy.CredentialsError{Err: errors.New("no EC2 IMDS role found")}, "--profile", "dev")
	for _, want := range []string{"no AWS credentials found", "--profile PROFILE, or AWS_PROFILE=PROFILE", "aws sso login --profile dev",
		"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("hint lacks %q:\n%s", want, err)
		}
	}
	if code := report(io.Discard, err); code != deploy.ExitInput {
		t.Errorf("exit %d; want %d", code, deploy.ExitInput)
	}
}

// TestInFlagTerms proves the problems the deployer keys by field come out
// keyed by the flag that sets the field, and a parameter without a flag of
// its own says how to give it with --parameter.
func TestInFlagTerms(t *testing.T) {
	err := &stack.ValidationError{Title: "invalid input", Problems: []stack.Problem{
		{Key: deploy.FieldStackName, Message: "a stack name is required"},
		{Key: deploy.FieldRegion, Message: "no AWS region is set"},
		{Key: deploy.FieldParameters + ".Secret", Message: "parameter Secret is required and the template has no default for it"},
		{Key: deploy.FieldParameters + ".Extra", Message: "the template has no parameter Extra"},
		{Key: "--vpc-id", Message: "already a flag"},
	}}
	inFlagTerms(fmt.Errorf("deploy: %w", err))
	want := []string{
		"--stack: a stack name is required",
		"--region: no AWS region is set",
		"--parameter: parameter Secret is required and the template has no default for it; set it with --parameter Secret=VALUE",
		"--parameter: the template has no parameter Extra",
		"--vpc-id: already a flag",
	}
	for i, p := range err.Problems {
		if p.String() != want[i] {
			t.Errorf("problem %d = %q; want %q", i, p.String(), want[i])
		}
	}
}
