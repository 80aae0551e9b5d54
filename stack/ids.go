package stack

// Parameter names. Scripts and the deploy command rely on them: never rename.
const (
	ParamVpcID            = "VpcId"
	ParamPublicSubnetIDs  = "PublicSubnetIds"
	ParamPrivateSubnetIDs = "PrivateSubnetIds"
	ParamCertificateArn   = "CertificateArn"
	ParamContainerImage   = "ContainerImage"
	ParamDesiredCount     = "DesiredCount"
	ParamAssignPublicIP   = "AssignPublicIp"
	// ParamMinCount and ParamMaxCount are the autoscaling bounds, declared
	// only with autoscaling on, so that `cfnfargate scale --min --max`
	// changes them through a change set instead of drifting the scalable
	// target.
	ParamMinCount = "MinCount"
	ParamMaxCount = "MaxCount"
)

// Condition names.
const (
	condPublicTasks       = "PublicTasks"
	condCreateCertificate = "CreateCertificate"
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
)

// Output names.
const (
	OutputLoadBalancerDNSName = "LoadBalancerDNSName"
	OutputServiceURL          = "ServiceURL"
	OutputClusterName         = "ClusterName"
	OutputServiceName         = "ServiceName"
	OutputLogGroupName        = "LogGroupName"
)

// targetGroupID is the target group's logical ID, which differs between an
// internet-facing and an internal load balancer. Scheme is create-only, so
// switching it replaces the load balancer, and ELB lets a target group
// belong to only one load balancer ("Load balancers per target group: 1",
// ALB quotas): a new listener on the new load balancer cannot take over the
// old target group and the update would roll back
// (cloudformation-coverage-roadmap #780). A new logical ID makes
// CloudFormation create a new target group with the new load balancer.
func targetGroupID(cfg Config) string {
	if cfg.LoadBalancer.Internal {
		return idInternalTargetGroup
	}
	return idTargetGroup
}
