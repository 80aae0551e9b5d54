package stack_test

import (
	"strings"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack"
)

// TestParseSecret proves each documented form of a secret's source is
// read as the service, name and selector it names, and that ARN gives the
// ARN AWS documents for it: a name takes the region and account asked for,
// an ARN keeps its own.
// Proves: SSM names with and without a hierarchy, Secrets Manager names
// with the ECS selector, both ARN forms, and AWS's own /aws/ names.
func TestParseSecret(t *testing.T) {
	tests := []struct {
		from     string
		service  string
		name     string
		selector string
		arn      string // in partition aws, region eu-west-1, account 111122223333
	}{
		{"/prod/db/password", stack.ServiceSSM, "/prod/db/password", "",
			"arn:aws:ssm:eu-west-1:111122223333:parameter/prod/db/password"},
		{"password", stack.ServiceSSM, "password", "",
			"arn:aws:ssm:eu-west-1:111122223333:parameter/password"},
		{"/password", stack.ServiceSSM, "/password", "",
			"arn:aws:ssm:eu-west-1:111122223333:parameter/password"},
		{"/Level-1/L2/L3/L4/L5/L6/L7/L8/L9/L10/L11/L12/L13/L14/parameter-name", stack.ServiceSSM, "/Level-1/L2/L3/L4/L5/L6/L7/L8/L9/L10/L11/L12/L13/L14/parameter-name", "",
			"arn:aws:ssm:eu-west-1:111122223333:parameter/Level-1/L2/L3/L4/L5/L6/L7/L8/L9/L10/L11/L12/L13/L14/parameter-name"},
		{"secretsmanager:prod/db", stack.ServiceSecretsManager, "prod/db", "",
			"arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db"},
		{"secretsmanager:prod/db:password::", stack.ServiceSecretsManager, "prod/db", ":password::",
			"arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db"},
		{"secretsmanager:demo+test=1@x.y_z-1:::6c1b3f0e-ee4b-4f7e-8c5a-3c5d2f5f4a1b", stack.ServiceSecretsManager, "demo+test=1@x.y_z-1", ":::6c1b3f0e-ee4b-4f7e-8c5a-3c5d2f5f4a1b",
			"arn:aws:secretsmanager:eu-west-1:111122223333:secret:demo+test=1@x.y_z-1"},
		{"/aws/reference/secretsmanager/prod/db", stack.ServiceSSM, "/aws/reference/secretsmanager/prod/db", "",
			"arn:aws:ssm:eu-west-1:111122223333:parameter/aws/reference/secretsmanager/prod/db"},
		{"/aws/service/global-infrastructure/version", stack.ServiceSSM, "/aws/service/global-infrastructure/version", "",
			"arn:aws:ssm:eu-west-1::parameter/aws/service/global-infrastructure/version"},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/app/flags", stack.ServiceSSM, "/app/flags", "",
			"arn:aws:ssm:us-east-1:123456789012:parameter/app/flags"},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/flags", stack.ServiceSSM, "flags", "",
			"arn:aws:ssm:us-east-1:123456789012:parameter/flags"},
		{"arn:aws:ssm:us-east-2::parameter/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2", stack.ServiceSSM, "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2", "",
			"arn:aws:ssm:us-east-2::parameter/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf:username::", stack.ServiceSecretsManager, "prod/db-AbCdEf", ":username::",
			"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			src, err := stack.ParseSecret(tt.from)
			if err != nil {
				t.Fatalf("ParseSecret: %v", err)
			}
			if src.Service != tt.service || src.Name != tt.name || src.Selector != tt.selector {
				t.Errorf("= %s %q %q, want %s %q %q", src.Service, src.Name, src.Selector, tt.service, tt.name, tt.selector)
			}
			if got := src.ARN("aws", "eu-west-1", "111122223333"); got != tt.arn {
				t.Errorf("ARN = %s, want %s", got, tt.arn)
			}
		})
	}
}

// TestSecretNameRules proves a secret's source that breaks a rule of SSM
// or Secrets Manager is refused by Validate, naming the variable, the
// source and the rule, while the longest and deepest names the rules allow
// pass.
// Proves: the character sets, the 15 levels, the 1011 characters with the
// ARN, the aws/ssm prefixes, fully qualified hierarchies, empty levels,
// the ECS selector's three fields, and malformed ARNs.
func TestSecretNameRules(t *testing.T) {
	// The shortest ARN before a name, arn:aws:ssm:us-east-1:123456789012:parameter/,
	// has 45 characters, so a name may have 1011 - 45 = 966.
	longest := "/" + strings.Repeat("a", 966)
	tooLong := "/" + strings.Repeat("a", 967)
	tests := []struct {
		from string
		want string // "" when the source is valid
	}{
		{longest, ""},
		{tooLong, "is 968 characters long: SSM allows up to 1011 with the parameter's ARN"},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/" + strings.Repeat("b", 1011-45), ""},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/" + strings.Repeat("b", 1011-44), "is 1012 characters long: SSM allows up to 1011 for a parameter's ARN"},
		{"/Level-1/L2/L3/L4/L5/L6/L7/L8/L9/L10/L11/L12/L13/L14/L15/L16/parameter-name", "has 17 levels: SSM allows up to 15"},
		{"/L1/L2/L3/L4/L5/L6/L7/L8/L9/L10/L11/L12/L13/L14/L15/L16", "has 16 levels: SSM allows up to 15"},
		{"/prod/db password", "has characters SSM does not allow in a parameter name"},
		{"/prod/db+password", "has characters SSM does not allow in a parameter name"},
		{"prod/db/password", "is not fully qualified: a parameter in a hierarchy starts with /, as in /prod/db/password"},
		{"/prod//password", "has an empty level"},
		// Not "as in /a//b", itself invalid (review1920 polish).
		{"a//b", "has an empty level"},
		{"/prod/", "has an empty level"},
		{"", "is empty"},
		{"awsTestParameter", "begins with aws or ssm, which SSM reserves"},
		{"SSM-testparameter", "begins with aws or ssm, which SSM reserves"},
		{"/aws/testparam1", "begins with aws or ssm, which SSM reserves"},
		{"/AWS/reference/secretsmanager/x", "begins with aws or ssm, which SSM reserves"},
		{"/aws/reference/secretsmanager/bad name", `references the Secrets Manager secret "bad name", which has characters Secrets Manager does not allow`},
		{"secretsmanager:", "names no secret"},
		{"secretsmanager:prod db", "has characters Secrets Manager does not allow in a secret name"},
		{"secretsmanager:" + strings.Repeat("s", 512), ""},
		{"secretsmanager:" + strings.Repeat("s", 513), "is 513 characters long: Secrets Manager allows up to 512"},
		{"secretsmanager:prod/db:password", "has 1 field(s) after the secret's name: ECS takes exactly three"},
		{"secretsmanager:prod/db:a:b:c:d", "has 4 field(s) after the secret's name"},
		{"secretsmanager:prod/db:${x}::", "has a $ in its JSON key"},
		{"arn:aws:s3:::bucket", "is not a Secrets Manager secret ARN"},
		{"arn:aws:ssm:us-east-1::parameter/mine", "has no account: only AWS's public parameters"},
		{"arn:aws:ssm:us-east-1:123456789012:parameter/a b", "has characters SSM does not allow"},
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:db:password", "has 1 field(s) after the secret's name"},
	}
	for _, tt := range tests {
		name := tt.from
		if len(name) > 60 {
			name = name[:60] + "..."
		}
		t.Run(name, func(t *testing.T) {
			cfg := stack.Default()
			cfg.Container.Secrets = []stack.Secret{{Name: "DB_PASSWORD", From: tt.from}}
			err := cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Errorf("Validate: %v, want the source accepted", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted %q, want %q", tt.from, tt.want)
			}
			msg := err.Error()
			for _, w := range []string{"secret", "DB_PASSWORD", tt.want} {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
		})
	}
}

// TestSecretByNameInTemplate proves a secret given by name reaches the
// container and the execution role as the same ARN, built from the
// stack's pseudo parameters, so that the template carries no account or
// region of its own.
// Proves: ValueFrom and the role's resource agree, and neither holds a
// literal region or account.
func TestSecretByNameInTemplate(t *testing.T) {
	cfg := stack.Default()
	cfg.Container.Secrets = []stack.Secret{{Name: "DB_PASSWORD", From: "/prod/db/password"}}
	doc := document(t, cfg)
	secrets := at(t, props(t, doc, "TaskDefinition"), "ContainerDefinitions", 0, "Secrets").([]any)
	valueFrom := secrets[0].(map[string]any)["ValueFrom"]
	statements := at(t, props(t, doc, "ExecutionRole"), "Policies", 0, "PolicyDocument", "Statement").([]any)
	var granted []any
	for _, s := range statements {
		if st := s.(map[string]any); st["Sid"] == "ReadParameters" {
			granted = st["Resource"].([]any)
		}
	}
	if len(granted) != 1 || canonicalJSON(granted[0]) != canonicalJSON(valueFrom) {
		t.Fatalf("the role may read %v, the container reads %v: want exactly that one", granted, valueFrom)
	}
	sub, _ := valueFrom.(map[string]any)["Fn::Sub"].(string)
	for _, want := range []string{"${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}", ":parameter/prod/db/password"} {
		if !strings.Contains(sub, want) {
			t.Errorf("ValueFrom %q lacks %s", sub, want)
		}
	}
}
