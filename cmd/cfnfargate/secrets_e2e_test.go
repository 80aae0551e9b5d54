package main

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/internal/testenv"
)

// TestSecretsByNameDeployIntoMoto proves that secrets given by name deploy
// as ARNs of the stack's own region and account: the task definition that
// moto registered, read back through ECS, holds those ARNs, and the
// execution role's policy, read back through IAM, may read exactly them.
// Proves: the template's !Sub ARNs resolve to the account and region the
// stack runs in, with nothing given but the names.
func TestSecretsByNameDeployIntoMoto(t *testing.T) {
	testenv.SkipIfShort(t, "starts moto_server and builds the binary")
	t.Parallel()
	m := testenv.SharedMoto(t)
	n := m.Seed(t)
	cf := motoBinary(t, m)
	const stackName = "secrets-by-name"
	code, _, stderr := cf.run("deploy", "--stack", stackName, "--name", "orders",
		"--secret", "DB_PASSWORD=/prod/orders/db-password",
		"--secret", "LICENSE=license",
		"--secret", "DB_USER=secretsmanager:prod/orders/db:username::",
		"--vpc-id", n.VpcID, "--public-subnets", strings.Join(n.PublicSubnets, ","),
		"--private-subnets", strings.Join(n.PrivateSubnets, ","), "--certificate-arn", n.CertificateArn)
	if code != 0 {
		t.Fatalf("deploy: exit %d: %s", code, stderr)
	}

	var caller struct{ Account string }
	body := m.Query(t, "sts", "GetCallerIdentity", url.Values{"Version": {"2011-06-15"}})
	if ids := testenv.XMLValues(body, "Account"); len(ids) == 1 {
		caller.Account = ids[0]
	} else {
		t.Fatalf("GetCallerIdentity: %s", body)
	}
	prefix := "arn:aws:ssm:" + m.Region + ":" + caller.Account + ":parameter/"
	secretPrefix := "arn:aws:secretsmanager:" + m.Region + ":" + caller.Account + ":secret:"
	want := map[string]string{
		"DB_PASSWORD": prefix + "prod/orders/db-password",
		"LICENSE":     prefix + "license",
		"DB_USER":     secretPrefix + "prod/orders/db:username::",
	}

	var td struct {
		TaskDefinition struct {
			ContainerDefinitions []struct {
				Secrets []struct{ Name, ValueFrom string }
			}
		}
	}
	m.JSON(t, "ecs", "DescribeTaskDefinition", map[string]string{"taskDefinition": stackName + "-orders"}, &td)
	if len(td.TaskDefinition.ContainerDefinitions) != 1 {
		t.Fatalf("DescribeTaskDefinition: %+v", td)
	}
	got := map[string]string{}
	for _, s := range td.TaskDefinition.ContainerDefinitions[0].Secrets {
		got[s.Name] = s.ValueFrom
	}
	for name, arn := range want {
		if got[name] != arn {
			t.Errorf("secret %s: valueFrom %q, want %q", name, got[name], arn)
		}
	}

	// The execution role's inline policy, as IAM holds it.
	res := m.Query(t, "cloudformation", "ListStackResources", url.Values{"StackName": {stackName}})
	logical, physical := testenv.XMLValues(res, "LogicalResourceId"), testenv.XMLValues(res, "PhysicalResourceId")
	i := slices.Index(logical, "ExecutionRole")
	if i < 0 || i >= len(physical) {
		t.Fatalf("ListStackResources has no ExecutionRole: %s", res)
	}
	policy := m.Query(t, "iam", "GetRolePolicy", url.Values{"RoleName": {physical[i]}, "PolicyName": {"pull-image-and-write-logs"}})
	docs := testenv.XMLValues(policy, "PolicyDocument")
	if len(docs) != 1 {
		t.Fatalf("GetRolePolicy: %s", policy)
	}
	// IAM returns the document URL-encoded (IAM API reference,
	// GetRolePolicy); moto returns the role's policy from a stack as the
	// text of a Python dict, whose quotes are single.
	text, err := url.QueryUnescape(docs[0])
	if err != nil {
		text = docs[0]
	}
	if strings.HasPrefix(text, "{'") {
		text = strings.ReplaceAll(text, "'", `"`)
	}
	var doc struct {
		Statement []struct {
			Action   any
			Resource any
		}
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("policy document: %v\n%s", err, text)
	}
	granted := map[string][]string{}
	for _, st := range doc.Statement {
		action, _ := st.Action.(string)
		switch r := st.Resource.(type) {
		case string:
			granted[action] = append(granted[action], r)
		case []any:
			for _, v := range r {
				granted[action] = append(granted[action], v.(string))
			}
		}
	}
	slices.Sort(granted["ssm:GetParameters"])
	if w := []string{want["LICENSE"], want["DB_PASSWORD"]}; !slices.Equal(granted["ssm:GetParameters"], w) {
		t.Errorf("ssm:GetParameters on %q, want exactly %q", granted["ssm:GetParameters"], w)
	}
	if w := []string{secretPrefix + "prod/orders/db-??????"}; !slices.Equal(granted["secretsmanager:GetSecretValue"], w) {
		t.Errorf("secretsmanager:GetSecretValue on %q, want exactly %q", granted["secretsmanager:GetSecretValue"], w)
	}
}
