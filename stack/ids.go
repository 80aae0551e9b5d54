package stack

import (
	"strconv"
	"strings"
)

// Parameter names. Scripts and the deploy command rely on them: never rename.
const (
	ParamVpcID            = "VpcId"
	ParamPublicSubnetIDs  = "PublicSubnetIds"
	ParamPrivateSubnetIDs = "PrivateSubnetIds"
	ParamCertificateArn   = "CertificateArn"
	ParamContainerImage   = "ContainerImage"
	ParamDesiredCount     = "DesiredCount"
	ParamAssignPublicIP   = "AssignPublicIp"

	// A service in an environment takes these from the environment
	// stack's outputs of the same names.
	ParamListenerArn                 = "ListenerArn"
	ParamLoadBalancerSecurityGroupID = "LoadBalancerSecurityGroupId"
	ParamServicesSecurityGroupID     = "ServicesSecurityGroupId"
	ParamLoadBalancerDNSName         = "LoadBalancerDNSName"
	ParamLoadBalancerHostedZoneID    = "LoadBalancerHostedZoneId"
	ParamLoadBalancerIPAddressType   = "LoadBalancerIpAddressType"
	ParamClusterName                 = "ClusterName"
	ParamLoadBalancerFullName        = "LoadBalancerFullName"

	// ParamMinCount and ParamMaxCount are the autoscaling bounds, declared
	// only with autoscaling on, so that `cfnfargate scale --min --max`
	// changes them through a change set instead of drifting the scalable
	// target.
	ParamMinCount = "MinCount"
	ParamMaxCount = "MaxCount"
)

// ExtraCertificateParam is the parameter of the listener's n-th extra
// certificate, counted from 1: CertificateArn2 for the first.
func ExtraCertificateParam(n int) string { return ParamCertificateArn + strconv.Itoa(n+1) }

// Condition names.
const (
	condPublicTasks       = "PublicTasks"
	condCreateCertificate = "CreateCertificate"
	// condHasCertificate and condNoCertificate choose between HTTPS and
	// HTTP only in a service's template without a domain (Config.AllowsHTTPOnly).
	condHasCertificate    = "HasCertificate"
	condNoCertificate     = "NoCertificate"
	condDualStackBalancer = "DualStackLoadBalancer"
)

// Logical IDs of the resources, one per part of the architecture.
const (
	idLoadBalancer         = "LoadBalancer"
	idLoadBalancerSG       = "LoadBalancerSecurityGroup"
	idLoadBalancerToTasks  = "LoadBalancerToTasksEgress"
	idHTTPListener         = "HttpListener"
	idHTTPSListener        = "HttpsListener"
	idTargetGroup          = "TargetGroup"
	idInternalTargetGroup  = "InternalTargetGroup"
	idTaskRole             = "TaskRole"
	idExecutionRole        = "ExecutionRole"
	idCluster              = "Cluster"
	idTaskSG               = "TaskSecurityGroup"
	idTaskFromLoadBalancer = "TaskFromLoadBalancerIngress"
	idLogGroup             = "LogGroup"
	idTaskDefinition       = "TaskDefinition"
	idService              = "Service"

	idCapacityProviders = "ClusterCapacityProviders"
	idScalableTarget    = "ScalableTarget"
	idCPUScaling        = "CpuScalingPolicy"
	idRequestScaling    = "RequestCountScalingPolicy"
	idCertificate       = "Certificate"
	idRecordIPv4        = "DnsRecord"
	idRecordIPv6        = "DnsRecordIpv6"
	idWebACL            = "WebACLAssociation"

	idExtraCertificates  = "ExtraCertificate" // and a number: ExtraCertificate1
	idListenerRule       = "ListenerRule"
	idServiceCertificate = "ServiceCertificate"
	// An environment's: the group every service's tasks join, and the
	// load balancer's one egress rule to it.
	idServicesSG             = "ServicesSecurityGroup"
	idLoadBalancerToServices = "LoadBalancerToServicesEgress"

	idProductionRule     = "ProductionListenerRule"
	idTestRule           = "TestListenerRule"
	idInfrastructureRole = "LoadBalancerInfrastructureRole"
	idRollback5xxAlarm   = "Rollback5xxAlarm"
	idRollbackP99Alarm   = "RollbackLatencyAlarm"
	idGateParameter      = "PauseGateParameter"
	idGateFunction       = "PauseGateFunction"
	idGateFunctionRole   = "PauseGateFunctionRole"
	idGateInvokeRole     = "PauseGateInvokeRole"
	idGateLogGroup       = "PauseGateLogGroup"

	// The hardened template's own resources (Config.Hardened).
	idLogsKey                = "LogsKey"
	idAccessLogsBucket       = "AccessLogsBucket"
	idAccessLogsBucketPolicy = "AccessLogsBucketPolicy"
	idWebACLResource         = "WebACL"
	idWebACLLogGroup         = "WebACLLogGroup"
	idWebACLLogging          = "WebACLLoggingConfiguration"
	idTaskPolicy             = "TaskRolePolicy"
	idExecutionPolicy        = "ExecutionRolePolicy"
	idGateFunctionPolicy     = "PauseGateFunctionPolicy"
	idGateInvokePolicy       = "PauseGateInvokePolicy"
)

// Output names.
const (
	OutputLoadBalancerDNSName = "LoadBalancerDNSName"
	OutputServiceURL          = "ServiceURL"
	OutputClusterName         = "ClusterName"
	OutputServiceName         = "ServiceName"
	OutputLogGroupName        = "LogGroupName"
	// OutputHTTPOnly is there only when the load balancer serves HTTP
	// only: it says that traffic is not encrypted, and how to add HTTPS.
	OutputHTTPOnly = "HttpOnly"

	// An environment stack's outputs are named after the service
	// parameters they fill: ListenerArn, LoadBalancerSecurityGroupId,
	// ServicesSecurityGroupId, LoadBalancerDNSName, LoadBalancerHostedZoneId,
	// LoadBalancerIpAddressType, ClusterName, and VpcId, PublicSubnetIds
	// and PrivateSubnetIds.
)

// environmentID turns an environment's name (lowercase letters, digits and
// single hyphens) into logical-ID characters, one to one, so that two
// environments never share a target group's logical ID: each part between
// hyphens starts with an upper-case letter (staging-eu is StagingEu), a part
// that starts with a digit gets a Z in front (eu-west-1 is EuWestZ1), and
// a part that starts with z gets Zz (prod-zone is ProdZzone), as no name
// holds upper case.
func environmentID(name string) string {
	var b strings.Builder
	for _, part := range strings.Split(name, "-") {
		switch {
		case part == "":
		case part[0] >= '0' && part[0] <= '9':
			b.WriteString("Z" + part)
		case part[0] == 'z':
			b.WriteString("Zz" + part[1:])
		default:
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// EnvironmentStackName is the name of environment env's stack.
func EnvironmentStackName(env string) string { return "env-" + env }

// targetGroupID is the target group's logical ID, which differs between an
// internet-facing and an internal load balancer. Scheme is create-only, so
// switching it replaces the load balancer, and ELB lets a target group
// belong to only one load balancer ("Load balancers per target group: 1",
// ALB quotas): a new listener on the new load balancer cannot take over the
// old target group and the update would roll back
// (cloudformation-coverage-roadmap #780). A new logical ID makes
// CloudFormation create a new target group with the new load balancer.
//
// For the same reason a service in an environment has a target group of
// the environment's name (TargetGroupStaging for staging): moving between
// a load balancer of its own and an environment, or between environments,
// creates a new target group for the new listener rule.
func targetGroupID(cfg Config) string {
	switch {
	case inEnvironment(cfg):
		return idTargetGroup + environmentID(cfg.Environment.Name)
	case cfg.LoadBalancer.Internal:
		return idInternalTargetGroup
	}
	return idTargetGroup
}
