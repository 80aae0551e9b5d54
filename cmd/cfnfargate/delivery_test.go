package main

import (
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// Proves: a bad --on-pause is input, reported with the allowed values and
// exit 2 before any AWS call that changes anything; a good one, or none,
// gets past it.
func TestOnPauseFlag(t *testing.T) {
	clearEnv(t)
	cf := newFakeCloudFormation(t)
	isolateAWS(t, "eu-west-1")
	code, _, stderr := runCLI(t, "deploy", "--stack", "shop", "--endpoint-url", cf.URL, "--vpc-id", "vpc-0123456789abcdef0",
		"--public-subnets", "subnet-0123456789abcdef0,subnet-0123456789abcdef1", "--private-subnets", "subnet-0123456789abcdef2",
		"--certificate-arn", "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
		"--strategy", "canary", "--pause-before-production", "--on-pause", "maybe")
	if code != deploy.ExitInput || !strings.Contains(stderr, `--on-pause: "maybe" is not allowed: use continue, rollback or wait`) {
		t.Errorf("exit %d, stderr %s; want exit 2 naming --on-pause", code, stderr)
	}
	for _, r := range cf.Requests() {
		if action, _, _ := strings.Cut(r, " "); !isRead(action) {
			t.Errorf("request %s; want only reads", r)
		}
	}
	for _, v := range []string{"continue", "rollback", "wait"} {
		if _, ok := deploy.ParseGateDecision(v); !ok {
			t.Errorf("%s is refused", v)
		}
	}
}
