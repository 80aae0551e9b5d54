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
