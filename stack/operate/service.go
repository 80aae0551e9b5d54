package operate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"gopkg.in/yaml.v3"

	"github.com/cfnfargate/cfnfargate/stack/deploy"
)

// DefaultPollInterval is how often a wait or a followed log is polled.
const DefaultPollInterval = 2 * time.Second

// ErrNoService reports a stack without an ECS service: one that is still
// being created, or not a cfnfargate stack.
var ErrNoService = errors.New("the stack has no ECS service")

// Service is what the operations act on: a stack's ECS service, found
// from the stack's resources (deploy.Locate) and the service itself.
type Service struct {
	deploy.ServiceResources
	// Partition, Region and Account are read from the stack's ARN.
	Partition, Region, Account string
	// TaskDefinition is the revision the service runs: the one its
	// primary deployment uses.
	TaskDefinition string
	// Container is the application container's name, and LogStreamPrefix
	// its awslogs-stream-prefix: its log streams are
	// PREFIX/CONTAINER/TASK-ID (ECS developer guide, "Using the awslogs
	// log driver").
	Container       string
	LogStreamPrefix string
	// Network, CapacityProviderStrategy, LaunchType and PlatformVersion
	// are the service's, for a one-off task that runs where it does.
	Network                  *ecstypes.NetworkConfiguration
	CapacityProviderStrategy []ecstypes.CapacityProviderStrategyItem
	LaunchType               ecstypes.LaunchType
	PlatformVersion          string
	// ExecEnabled is the service's enableExecuteCommand.
	ExecEnabled  bool
	DesiredCount int32
	RunningCount int32
}

// Find locates the stack's service and reads what the operations need
// from it and its task definition. A stack that does not exist wraps
// deploy.ErrStackNotFound; one without a service, ErrNoService.
func Find(ctx context.Context, c Clients, stackName string) (*Service, error) {
	res, err := deploy.Locate(ctx, c.CloudFormation, stackName)
	if err != nil {
		return nil, err
	}
	if res.ServiceARN == "" || res.Cluster == "" {
		return nil, fmt.Errorf("stack %s: %w", stackName, ErrNoService)
	}
	svc := &Service{ServiceResources: res}
	svc.Partition, svc.Region, svc.Account = arnParts(res.StackID)
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(res.Cluster), Services: []string{res.ServiceARN}})
	if err != nil {
		return nil, callError("ecs:DescribeServices", "describe service "+res.Service, err)
	}
	if len(out.Services) == 0 {
		return nil, fmt.Errorf("stack %s: service %s: %w", stackName, res.Service, ErrNoService)
	}
	s := out.Services[0]
	svc.Network = s.NetworkConfiguration
	svc.CapacityProviderStrategy = s.CapacityProviderStrategy
	svc.LaunchType = s.LaunchType
	svc.PlatformVersion = aws.ToString(s.PlatformVersion)
	svc.ExecEnabled = s.EnableExecuteCommand
	svc.DesiredCount, svc.RunningCount = s.DesiredCount, s.RunningCount
	svc.TaskDefinition = aws.ToString(s.TaskDefinition)
	for _, d := range s.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" && d.TaskDefinition != nil {
			svc.TaskDefinition = aws.ToString(d.TaskDefinition)
		}
	}
	if svc.TaskDefinition == "" {
		svc.TaskDefinition = res.TaskDefinitionARN
	}
	td, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(svc.TaskDefinition)})
	if err != nil {
		return nil, callError("ecs:DescribeTaskDefinition", "describe task definition "+svc.TaskDefinition, err)
	}
	if td.TaskDefinition != nil && len(td.TaskDefinition.ContainerDefinitions) > 0 {
		// cfnfargate's task definition has one container, the application.
		app := td.TaskDefinition.ContainerDefinitions[0]
		svc.Container = aws.ToString(app.Name)
		if lc := app.LogConfiguration; lc != nil && lc.LogDriver == ecstypes.LogDriverAwslogs {
			svc.LogStreamPrefix = lc.Options["awslogs-stream-prefix"]
			// The group the container writes to, whatever else the stack
			// holds: a pause gate's Lambda logs to a group of its own.
			if group := lc.Options["awslogs-group"]; group != "" {
				svc.LogGroup = group
			}
		}
	}
	if svc.Container == "" {
		// A task definition without its containers' names, as moto
		// registers them from a template: the template names them.
		svc.Container, svc.LogStreamPrefix = templateContainer(ctx, c, res.StackID)
	}
	return svc, nil
}

// templateContainer reads the first container's name and log stream
// prefix from the stack's template, or "" when it cannot.
func templateContainer(ctx context.Context, c Clients, stackID string) (name, prefix string) {
	out, err := c.CloudFormation.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(stackID), TemplateStage: cftypes.TemplateStageOriginal})
	if err != nil {
		return "", ""
	}
	var doc struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				ContainerDefinitions []struct {
					Name             yaml.Node `yaml:"Name"`
					LogConfiguration struct {
						Options map[string]any `yaml:"Options"`
					} `yaml:"LogConfiguration"`
				} `yaml:"ContainerDefinitions"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	// JSON is YAML too. Only literal strings are taken, and the one
	// reference the templates use for a name, to the stack's.
	if yaml.Unmarshal([]byte(aws.ToString(out.TemplateBody)), &doc) != nil {
		return "", ""
	}
	for _, r := range doc.Resources {
		if r.Type != "AWS::ECS::TaskDefinition" || len(r.Properties.ContainerDefinitions) == 0 {
			continue
		}
		first := r.Properties.ContainerDefinitions[0]
		switch n := first.Name; {
		case n.Kind == yaml.ScalarNode && n.Tag == "!Ref" && n.Value == "AWS::StackName",
			n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "Ref" && n.Content[1].Value == "AWS::StackName":
			// A service named after its stack (stack.Config.Name empty):
			// arn:...:stack/NAME/ID.
			if parts := strings.Split(stackID, "/"); len(parts) == 3 {
				name = parts[1]
			}
		case n.Kind == yaml.ScalarNode && strings.HasPrefix(n.Tag, "!!"):
			name = n.Value
		}
		prefix, _ = first.LogConfiguration.Options["awslogs-stream-prefix"].(string)
		return name, prefix
	}
	return "", ""
}

// TaskStream is the log stream of the application container of a task.
func (s *Service) TaskStream(taskID string) string {
	return s.streamPrefix() + s.Container + "/" + taskID
}

// streamPrefix starts the name of every log stream of the service's
// containers: "PREFIX/" (awslogs names a stream PREFIX/CONTAINER/TASK-ID).
func (s *Service) streamPrefix() string {
	if s.LogStreamPrefix == "" {
		return ""
	}
	return s.LogStreamPrefix + "/"
}

// taskOfStream reads the task ID and container from a log stream name.
func (s *Service) taskOfStream(stream string) (task, container string) {
	rest := strings.TrimPrefix(stream, s.streamPrefix())
	container, task, ok := strings.Cut(rest, "/")
	if !ok {
		return "", ""
	}
	return task, container
}

// LogGroupARN is the log group's ARN, as StartLiveTail takes it: without
// the :* that DescribeLogGroups appends (CloudWatch Logs API reference,
// StartLiveTail, logGroupIdentifiers).
func (s *Service) LogGroupARN() string {
	return fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s", s.Partition, s.Region, s.Account, s.LogGroup)
}

// arnParts reads partition, region and account from an ARN
// (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE).
func arnParts(arn string) (partition, region, account string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return "aws", "", ""
	}
	return parts[1], parts[3], parts[4]
}

// TaskID is the ID of a task from its ARN
// (arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID), or the ID itself.
func TaskID(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// ShortID is the first 8 characters of a task ID, as ECS tools print it.
func ShortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
