package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/cfnfargate/cfnfargate/stack"
	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// fakeDeployer is a deployer whose CloudFormation client talks to f, with
// its progress discarded.
func fakeDeployer(f *fakeCloudFormation) *deploy.Deployer {
	api := cloudformation.New(cloudformation.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(f.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
	return &deploy.Deployer{API: api, Sink: deploy.SinkFunc(func(deploy.Event) {})}
}

// Proves: the option structs of status and delete check their input
// without a cli.App and without AWS, reporting every problem at once.
func TestCommandOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want []string
	}{
		{"status", statusCmd{Stack: "1bad", Format: "xml"}.Validate(), []string{"--stack", "--format"}},
		{"delete", deleteCmd{Stack: "shop", RoleARN: "role", Timeout: -time.Second}.Validate(), []string{"--role-arn", "--timeout"}},
	} {
		var verr *stack.ValidationError
		if !errors.As(tc.err, &verr) {
			t.Errorf("%s: Validate = %v; want a *stack.ValidationError", tc.name, tc.err)
			continue
		}
		var keys []string
		for _, p := range verr.Problems {
			keys = append(keys, p.Key)
		}
		if !slices.Equal(keys, tc.want) {
			t.Errorf("%s: problems name %q; want %q", tc.name, keys, tc.want)
		}
	}
	if err := (statusCmd{Stack: "shop", Format: "json"}).Validate(); err != nil {
		t.Errorf("status of a valid stack name: %v", err)
	}
}

// Proves: Execute runs a command against a deployer alone: status prints
// what CloudFormation says of the stack, and delete of a stack that does
// not exist says so, naming the region, and never asks or deletes.
func TestCommandOptionsExecute(t *testing.T) {
	f := newFakeCloudFormation(t)
	d := fakeDeployer(f)
	ctx := context.Background()

	var out bytes.Buffer
	if _, err := (statusCmd{Stack: "shop", Format: "json", Out: &out}).Execute(ctx, d); err != nil {
		t.Fatalf("status: %v", err)
	}
	var st map[string]any
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("status --format json printed %q: %v", out.String(), err)
	}
	if !strings.Contains(out.String(), "CREATE_COMPLETE") {
		t.Errorf("status printed %s; want the fake's CREATE_COMPLETE", out.String())
	}

	out.Reset()
	asked := false
	o := deleteCmd{Stack: "gone", Timeout: time.Minute, Out: &out,
		Confirm: func(context.Context, string) error { asked = true; return nil },
		Region:  func(context.Context) string { return "eu-west-1" }}
	if err := o.Execute(ctx, d); err != nil {
		t.Fatalf("delete of a missing stack: %v", err)
	}
	if asked || !strings.Contains(out.String(), "Stack gone does not exist in eu-west-1") {
		t.Errorf("delete of a missing stack: asked %v, printed %q", asked, out.String())
	}
	for _, r := range f.Requests() {
		if strings.HasPrefix(r, "DeleteStack") {
			t.Errorf("delete of a missing stack sent %s", r)
		}
	}
}
