package scenario

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
	"github.com/cfnfargate/cfnfargate/internal/twin"
)

// Backend is where the scenarios run: the twin or a real account.
type Backend interface {
	// Name is "twin" or "aws".
	Name() string
	// Env is the binary's environment: credentials, Region, endpoint.
	Env() []string
	// Config is the SDK configuration of the scenario's own checks.
	Config() aws.Config
	// Network is the deploy's network and certificate flags.
	Network() []string
	// TaskFlags are flags every service deploy needs on the backend.
	TaskFlags() []string
	// Stack is a stack name for base, unique in the run.
	Stack(base string) string
	// Tags are extra deploy flags that mark what the run creates.
	Tags() []string
	// Poll is how often a scenario reads AWS while it waits.
	Poll() time.Duration
	// Timeout bounds one wait (a deploy, a stack settling), in real time.
	Timeout() time.Duration
	// Minutes picks a duration flag: short virtual minutes on the twin,
	// real minutes that fit an account's run on AWS.
	Minutes(onTwin, onAWS string) string
	// Created records a stack to delete at the end of the run.
	Created(stack string)
	// Hold keeps the step of an update of stack that works on resource
	// logical in progress, once started, until release (twin.Hold), so
	// that a scenario can act during it. On AWS it holds nothing: AWS's
	// steps take seconds at least, and a scenario that must hold one is
	// TwinOnly.
	Hold(stack, logical string) (release func())
	// EvaluatesAlarms is whether CloudWatch evaluates the metric of the
	// scenarios' alarms (AWS). moto stores metric data but does not
	// evaluate alarms, so on the twin a scenario also sets the state the
	// data would give (SetAlarmState).
	EvaluatesAlarms() bool
}

// twinBackend runs the scenarios on the behavioural twin.
type twinBackend struct {
	tw      *twin.Twin
	network []string
}

// newTwinBackend starts a twin with moto behind it and seeds the network
// (a VPC with public and private subnets) and a certificate.
func newTwinBackend(t *testing.T, opts twin.Options) *twinBackend {
	tw := twin.Start(t, opts)
	n := tw.Moto.Seed(t)
	tw.Moto.CreateECSRole(t)
	return &twinBackend{tw: tw, network: []string{"--vpc-id", n.VpcID,
		"--public-subnets", strings.Join(n.PublicSubnets, ","),
		"--private-subnets", strings.Join(n.PrivateSubnets, ","),
		"--certificate-arn", n.CertificateArn}}
}

func (b *twinBackend) Name() string { return "twin" }
func (b *twinBackend) Env() []string {
	// The endpoint as cfnfargate's own setting too: then the binary speaks
	// AWS Query to CloudWatch, which moto routes (stack/deploy/client.go).
	return append(b.tw.Env(), "CI=true", "CFNFARGATE_ENDPOINT_URL="+b.tw.URL)
}
func (b *twinBackend) Config() aws.Config {
	return aws.Config{Region: twin.Region, BaseEndpoint: aws.String(b.tw.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")}
}
func (b *twinBackend) Network() []string               { return b.network }
func (b *twinBackend) TaskFlags() []string             { return nil }
func (b *twinBackend) Stack(base string) string        { return base }
func (b *twinBackend) Tags() []string                  { return nil }
func (b *twinBackend) Poll() time.Duration             { return 20 * time.Millisecond }
func (b *twinBackend) Timeout() time.Duration          { return 60 * time.Second }
func (b *twinBackend) Minutes(onTwin, _ string) string { return onTwin }
func (b *twinBackend) Created(string)                  {}
func (b *twinBackend) EvaluatesAlarms() bool           { return false }
func (b *twinBackend) Hold(stack, logical string) func() {
	return b.tw.Hold(stack, logical)
}

// buildBinary is the cfnfargate of this checkout (testenv.Binary).
func buildBinary(t *testing.T) string { return testenv.Binary(t) }

// background is a context for calls made after a test's own context ends
// (clean-up).
func background(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
