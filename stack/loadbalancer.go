package stack

import (
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	elb "github.com/awslabs/goformation/v7/cloudformation/elasticloadbalancingv2"
	"github.com/awslabs/goformation/v7/cloudformation/wafv2"
)

// addLoadBalancer adds the ALB (internet-facing in the public subnets, or
// internal in the private ones), its security group, the HTTP listener that
// redirects to HTTPS, the HTTPS listener, the target group the service
// registers its tasks in, and the optional WAF association.
func addLoadBalancer(t *cloudformation.Template, cfg Config) {
	lb := cfg.LoadBalancer
	t.Resources[idLoadBalancerSG] = &ec2.SecurityGroup{
		GroupDescription:     loadBalancerSGDescription,
		VpcId:                cloudformation.RefPtr(ParamVpcID),
		SecurityGroupIngress: loadBalancerIngress(lb),
		// A security group without inline egress rules gets an allow-all
		// rule from EC2. This rule matches no traffic and makes EC2 drop the
		// default; the only real egress is LoadBalancerToTasksEgress. The
		// CDK does the same for allowAllOutbound: false.
		SecurityGroupEgress: []ec2.SecurityGroup_Egress{{
			CidrIp:      cloudformation.String("255.255.255.255/32"),
			Description: cloudformation.String("Disallow all traffic"),
			IpProtocol:  "icmp",
			FromPort:    cloudformation.Int(252),
			ToPort:      cloudformation.Int(86),
		}},
		Tags: resourceTags(cfg),
	}

	// Separate rule resources, not inline rules: inline rules in both
	// groups that name each other would be a circular dependency.
	t.Resources[idLoadBalancerToTasks] = &ec2.SecurityGroupEgress{
		GroupId:                    cloudformation.GetAtt(idLoadBalancerSG, "GroupId"),
		Description:                cloudformation.String("To the tasks on the container port"),
		IpProtocol:                 "tcp",
		FromPort:                   cloudformation.Int(cfg.Container.Port),
		ToPort:                     cloudformation.Int(cfg.Container.Port),
		DestinationSecurityGroupId: cloudformation.GetAttPtr(idTaskSG, "GroupId"),
	}

	scheme, subnets := "internet-facing", ParamPublicSubnetIDs
	if lb.Internal {
		scheme, subnets = "internal", ParamPrivateSubnetIDs
	}
	var ipAddressType *string
	if lb.DualStack {
		ipAddressType = cloudformation.String("dualstack")
	}
	t.Resources[idLoadBalancer] = override(&elb.LoadBalancer{
		Type:                   cloudformation.String("application"),
		Scheme:                 cloudformation.String(scheme),
		IpAddressType:          ipAddressType,
		SecurityGroups:         []string{cloudformation.GetAtt(idLoadBalancerSG, "GroupId")},
		LoadBalancerAttributes: loadBalancerAttributes(cfg),
		Tags:                   resourceTags(cfg),
	}, map[string]any{
		"Subnets": cloudformation.Ref(subnets),
	})

	t.Resources[idHTTPListener] = &elb.Listener{
		LoadBalancerArn: cloudformation.Ref(idLoadBalancer),
		Port:            cloudformation.Int(80),
		Protocol:        cloudformation.String("HTTP"),
		DefaultActions: []elb.Listener_Action{{
			Type: "redirect",
			RedirectConfig: &elb.Listener_RedirectConfig{
				Protocol:   cloudformation.String("HTTPS"),
				Port:       cloudformation.String("443"),
				Host:       cloudformation.String("#{host}"),
				Path:       cloudformation.String("/#{path}"),
				Query:      cloudformation.String("#{query}"),
				StatusCode: "HTTP_301",
			},
		}},
	}

	certificate := cloudformation.Ref(ParamCertificateArn)
	if cfg.Domain.Name != "" {
		certificate = cloudformation.If(condCreateCertificate, cloudformation.Ref(idCertificate), cloudformation.Ref(ParamCertificateArn))
	}
	t.Resources[idHTTPSListener] = &elb.Listener{
		LoadBalancerArn: cloudformation.Ref(idLoadBalancer),
		Port:            cloudformation.Int(443),
		Protocol:        cloudformation.String("HTTPS"),
		SslPolicy:       cloudformation.String(lb.SSLPolicy),
		Certificates:    []elb.Listener_Certificate{{CertificateArn: &certificate}},
		DefaultActions: []elb.Listener_Action{{
			Type:           "forward",
			TargetGroupArn: cloudformation.RefPtr(targetGroupID(cfg)),
		}},
	}

	hc := cfg.HealthCheck
	t.Resources[targetGroupID(cfg)] = &elb.TargetGroup{
		// Fargate tasks in awsvpc mode register by IP address, not instance.
		TargetType: cloudformation.String("ip"),
		Protocol:   cloudformation.String("HTTP"),
		// Port is create-only: tying it to the container port would replace
		// the target group on a port change, and the listener would forward
		// to an empty group until new tasks pass their checks, minutes of
		// 503s. It is only a default: ECS registers each task with the
		// container port of the service's LoadBalancers entry, and the
		// health check uses traffic-port, the port a target registered with
		// (ELB API reference, RegisterTargets and HealthCheckPort).
		Port:                       cloudformation.Int(targetGroupPort),
		VpcId:                      cloudformation.RefPtr(ParamVpcID),
		HealthCheckProtocol:        cloudformation.String("HTTP"),
		HealthCheckPath:            cloudformation.String(hc.Path),
		HealthCheckIntervalSeconds: cloudformation.Int(hc.Interval),
		HealthCheckTimeoutSeconds:  cloudformation.Int(hc.Timeout),
		HealthyThresholdCount:      cloudformation.Int(hc.HealthyThreshold),
		UnhealthyThresholdCount:    cloudformation.Int(hc.UnhealthyThreshold),
		Matcher:                    &elb.TargetGroup_Matcher{HttpCode: cloudformation.String(hc.Matcher)},
		TargetGroupAttributes:      targetGroupAttributes(lb),
		Tags:                       resourceTags(cfg),
	}

	if lb.WAFWebACLArn != "" {
		t.Resources[idWebACL] = &wafv2.WebACLAssociation{
			ResourceArn: cloudformation.Ref(idLoadBalancer),
			WebACLArn:   partitionNeutral(lb.WAFWebACLArn),
		}
	}
}

// targetGroupPort is the target group's fixed default port.
const targetGroupPort = 80

// loadBalancerSGDescription is the same whatever the sources:
// GroupDescription is create-only, and a description that named them would
// replace the group, and both rules that refer to it, when --allow-cidr is
// turned on or off, with a moment of 5xx errors while the load balancer
// moves to the new group.
const loadBalancerSGDescription = "Load balancer: HTTP and HTTPS in, out only to the tasks"

// loadBalancerIngress opens 80 and 443 to the allowed networks, or to all
// of IPv4 and IPv6.
func loadBalancerIngress(lb LoadBalancer) []ec2.SecurityGroup_Ingress {
	sources := lb.AllowCIDRs
	if len(sources) == 0 {
		sources = []string{"0.0.0.0/0", "::/0"}
	}
	var rules []ec2.SecurityGroup_Ingress
	for _, port := range []int{80, 443} {
		description := "HTTPS"
		if port == 80 {
			description = "HTTP, redirected to HTTPS"
		}
		for _, cidr := range sources {
			rule := ec2.SecurityGroup_Ingress{
				IpProtocol:  "tcp",
				FromPort:    cloudformation.Int(port),
				ToPort:      cloudformation.Int(port),
				Description: cloudformation.String(description),
			}
			if strings.Contains(cidr, ":") {
				rule.CidrIpv6 = cloudformation.String(cidr)
			} else {
				rule.CidrIp = cloudformation.String(cidr)
			}
			rules = append(rules, rule)
		}
	}
	return rules
}

func loadBalancerAttributes(cfg Config) []elb.LoadBalancer_LoadBalancerAttribute {
	lb := cfg.LoadBalancer
	attrs := [][2]string{
		// Drop requests with header names that are not valid HTTP, so they
		// cannot smuggle headers past the app (request smuggling).
		{"routing.http.drop_invalid_header_fields.enabled", "true"},
	}
	if cfg.DeletionProtection {
		attrs = append(attrs, [2]string{"deletion_protection.enabled", "true"})
	}
	if lb.AccessLogs.Bucket != "" {
		// The bucket policy must let the Region's ELB account write; see
		// "Enable access logs for your Application Load Balancer".
		attrs = append(attrs,
			[2]string{"access_logs.s3.enabled", "true"},
			[2]string{"access_logs.s3.bucket", lb.AccessLogs.Bucket})
		if lb.AccessLogs.Prefix != "" {
			attrs = append(attrs, [2]string{"access_logs.s3.prefix", lb.AccessLogs.Prefix})
		}
	}
	if lb.IdleTimeout != 0 {
		attrs = append(attrs, [2]string{"idle_timeout.timeout_seconds", strconv.Itoa(lb.IdleTimeout)})
	}
	if lb.DisableHTTP2 {
		attrs = append(attrs, [2]string{"routing.http2.enabled", "false"})
	}
	out := make([]elb.LoadBalancer_LoadBalancerAttribute, len(attrs))
	for i, a := range attrs {
		out[i] = elb.LoadBalancer_LoadBalancerAttribute{Key: cloudformation.String(a[0]), Value: cloudformation.String(a[1])}
	}
	return out
}

func targetGroupAttributes(lb LoadBalancer) []elb.TargetGroup_TargetGroupAttribute {
	attrs := [][2]string{
		{"deregistration_delay.timeout_seconds", strconv.Itoa(lb.DeregistrationDelay)},
	}
	if lb.Stickiness != 0 {
		attrs = append(attrs,
			[2]string{"stickiness.enabled", "true"},
			[2]string{"stickiness.type", "lb_cookie"},
			[2]string{"stickiness.lb_cookie.duration_seconds", strconv.Itoa(lb.Stickiness)})
	}
	out := make([]elb.TargetGroup_TargetGroupAttribute, len(attrs))
	for i, a := range attrs {
		out[i] = elb.TargetGroup_TargetGroupAttribute{Key: cloudformation.String(a[0]), Value: cloudformation.String(a[1])}
	}
	return out
}

// partitionNeutral turns a user-given ARN into a !Sub with
// ${AWS::Partition}, so that the template carries no partition literal.
func partitionNeutral(arn string) string {
	_, rest, ok := strings.Cut(arn, ":")
	if !ok {
		return arn
	}
	_, rest, ok = strings.Cut(rest, ":")
	if !ok {
		return arn
	}
	return cloudformation.Sub("arn:${AWS::Partition}:" + rest)
}
