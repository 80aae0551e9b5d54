package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// Proves: --account (or an environment's layer key account) refuses
// credentials of another account, as STS reports them, before any request
// about the stack; a malformed ID is refused without asking STS; and the
// right account lets the command go on.
func TestAccountGuard(t *testing.T) {
	clearEnv(t)
	isolateAWS(t, "eu-west-1")
	cf := newFakeCloudFormation(t) // answers GetCallerIdentity with account 123456789012

	code, _, stderr := runCLI(t, "status", "--stack", "shop", "--endpoint-url", cf.URL, "--account", "111111111111")
	if code != deploy.ExitInput || !strings.Contains(stderr, "credentials in use are of AWS account 123456789012, not 111111111111") {
		t.Errorf("another account: exit %d, stderr %s", code, stderr)
	}
	if slices.ContainsFunc(cf.Requests(), func(r string) bool { return !strings.HasPrefix(r, "GetCallerIdentity") }) {
		t.Errorf("the refused command sent %v", cf.Requests())
	}
	code, _, stderr = runCLI(t, "delete", "--stack", "shop", "--yes", "--endpoint-url", cf.URL, "--account", "12345")
	if code != deploy.ExitInput || !strings.Contains(stderr, `--account: "12345" is not an AWS account ID`) {
		t.Errorf("malformed account: exit %d, stderr %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "status", "--stack", "shop", "--endpoint-url", cf.URL, "--account", "123456789012")
	if code != 0 || !strings.Contains(stdout, "CREATE_COMPLETE") {
		t.Errorf("the right account: exit %d, stdout %s, stderr %s", code, stdout, stderr)
	}
}
