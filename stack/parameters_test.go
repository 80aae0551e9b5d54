package stack_test

import (
	"fmt"
	"maps"
	"testing"

	"github.com/cfnfargate/cfnfargate/stack"
)

// TestSettingParameters proves that the values a deploy sends for the
// settings that are parameters are the Defaults the template declares for
// them, for every variant, and that only given settings are sent.
func TestSettingParameters(t *testing.T) {
	t.Parallel()
	settings := stack.ParameterSettings()
	all := map[string]bool{}
	for _, key := range settings {
		all[key] = true
	}
	for _, v := range allVariants() {
		t.Run(v.name, func(t *testing.T) {
			cfg := v.cfg()
			declared := document(t, cfg)["Parameters"].(map[string]any)
			want := map[string]string{}
			for param := range settings {
				if p, ok := declared[param].(map[string]any); ok {
					want[param] = fmt.Sprint(p["Default"])
				}
			}
			if got := stack.SettingParameters(cfg, all); !maps.Equal(got, want) {
				t.Errorf("all given: %v\nwant the template's Defaults %v", got, want)
			}
			if got := stack.SettingParameters(cfg, nil); len(got) != 0 {
				t.Errorf("none given: %v, want none", got)
			}
		})
	}
}

// TestSettingParametersGiven proves each setting sends its own parameter
// only, that DesiredCount is not sent with autoscaling, whose template
// has no such parameter, and that MinCount and MaxCount are sent only then.
func TestSettingParametersGiven(t *testing.T) {
	t.Parallel()
	cfg := stack.Default()
	cfg.Container.Image = "nginx:1.27"
	cfg.Service.DesiredCount = 3
	cfg.Service.PublicTasks = true
	scaled := cfg
	scaled.Scaling = stack.Scaling{MinCount: 1, MaxCount: 4, CPUPercent: 50, ScaleInCooldown: 300, ScaleOutCooldown: 60}
	tests := []struct {
		name  string
		cfg   stack.Config
		given []string
		want  map[string]string
	}{
		{"image", cfg, []string{stack.KeyImage}, map[string]string{stack.ParamContainerImage: "nginx:1.27"}},
		{"count", cfg, []string{stack.KeyDesiredCount}, map[string]string{stack.ParamDesiredCount: "3"}},
		{"public tasks", cfg, []string{stack.KeyPublicTasks}, map[string]string{stack.ParamAssignPublicIP: "ENABLED"}},
		{"a setting that is no parameter", cfg, []string{stack.KeyCPU}, map[string]string{}},
		{"count with autoscaling", scaled, []string{stack.KeyDesiredCount, stack.KeyImage}, map[string]string{stack.ParamContainerImage: "nginx:1.27"}},
		{"bounds with autoscaling", scaled, []string{stack.KeyMinCount, stack.KeyMaxCount}, map[string]string{stack.ParamMinCount: "1", stack.ParamMaxCount: "4"}},
		{"bounds without autoscaling", cfg, []string{stack.KeyMinCount, stack.KeyMaxCount}, map[string]string{}},
	}
	for _, tt := range tests {
		given := map[string]bool{}
		for _, k := range tt.given {
			given[k] = true
		}
		if got := stack.SettingParameters(tt.cfg, given); !maps.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestDeployParameters proves that empty values are left out, so that an
// update keeps them, except an empty certificate ARN that asks the stack to
// create a certificate.
func TestDeployParameters(t *testing.T) {
	t.Parallel()
	const arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
	tests := []struct {
		name string
		in   stack.DeployParameters
		want map[string]string
	}{
		{"nothing given", stack.DeployParameters{}, map[string]string{}},
		{"all given", stack.DeployParameters{VpcID: "vpc-1", PublicSubnetIDs: []string{"subnet-a", "subnet-b"}, PrivateSubnetIDs: []string{"subnet-c"}, CertificateArn: arn},
			map[string]string{stack.ParamVpcID: "vpc-1", stack.ParamPublicSubnetIDs: "subnet-a,subnet-b", stack.ParamPrivateSubnetIDs: "subnet-c", stack.ParamCertificateArn: arn}},
		{"create a certificate", stack.DeployParameters{VpcID: "vpc-1", CreateCertificate: true},
			map[string]string{stack.ParamVpcID: "vpc-1", stack.ParamCertificateArn: ""}},
		{"an ARN wins over creating one", stack.DeployParameters{CertificateArn: arn, CreateCertificate: true},
			map[string]string{stack.ParamCertificateArn: arn}},
	}
	for _, tt := range tests {
		if got := tt.in.Values(); !maps.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
