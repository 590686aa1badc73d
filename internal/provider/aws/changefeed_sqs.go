package aws

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// Annotations on a SecretStore or ClusterSecretStore that configure its change feed. They
// are Ferry's own, so the manifest stays valid for External Secrets Operator.
const (
	// AnnotationSQSQueueURL is the URL of the SQS queue an EventBridge rule sends the
	// store's change events to (docs/events.md).
	AnnotationSQSQueueURL = "events.ferry.dev/aws-sqs-queue-url"
	// AnnotationSQSWaitSeconds is the long-poll wait, 1 to 20 seconds (default 20).
	AnnotationSQSWaitSeconds = "events.ferry.dev/aws-sqs-wait-seconds"
)

// envSQSEndpoint points the SQS client at another endpoint, as the other services'
// variables do.
const envSQSEndpoint = "AWS_SQS_ENDPOINT"

// sqsAPI is the part of the SQS client the feed calls.
type sqsAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// NewChangeFeed returns the SQS feed that the store's AnnotationSQSQueueURL names, with the
// store's own credentials, or nil when the store has none.
func (p *Provider) NewChangeFeed(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.ChangeFeed, error) {
	url := store.GetAnnotations()[AnnotationSQSQueueURL]
	if url == "" {
		return nil, nil
	}
	wait := int32(20)
	if s := store.GetAnnotations()[AnnotationSQSWaitSeconds]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 20 {
			return nil, fmt.Errorf("annotation %s: want a number of seconds from 1 to 20", AnnotationSQSWaitSeconds)
		}
		wait = int32(n) //nolint:gosec // 1 to 20
	}
	cfg, err := p.Config(ctx, StoreAccess(store), kube, namespace)
	if err != nil {
		return nil, err
	}
	api := sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if u := p.baseEndpoint(envSQSEndpoint); u != nil {
			o.BaseEndpoint = u
		}
	})
	return &sqsFeed{api: api, queueURL: url, wait: wait}, nil
}

// sqsFeed long-polls a queue that EventBridge fills with Secrets Manager and Parameter
// Store events.
type sqsFeed struct {
	api      sqsAPI
	queueURL string
	wait     int32
}

// Source names the feed.
func (f *sqsFeed) Source() string { return "aws-sqs" }

// Receive waits up to the long-poll time for messages, deletes what it received (an event
// is a hint: one lost after this point is caught by the safety-net refresh) and returns the
// changes they report.
func (f *sqsFeed) Receive(ctx context.Context) ([]provider.Change, error) {
	out, err := f.api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(f.queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: f.wait,
	})
	if err != nil {
		return nil, fmt.Errorf("receiving from the change queue: %w", err)
	}
	if len(out.Messages) == 0 {
		return nil, nil
	}
	changes := make([]provider.Change, 0, len(out.Messages))
	entries := make([]sqstypes.DeleteMessageBatchRequestEntry, 0, len(out.Messages))
	for i, m := range out.Messages {
		changes = append(changes, parseEvent(aws.ToString(m.Body)))
		entries = append(entries, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	if _, err := f.api.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(f.queueURL), Entries: entries}); err != nil {
		// Undeleted messages come back after the visibility timeout: one more read each.
		return changes, nil
	}
	return changes, nil
}

// secretNameFromARN returns the name in a Secrets Manager ARN
// (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random characters>).
func secretNameFromARN(arn string) (string, bool) {
	_, rest, ok := strings.Cut(arn, ":secret:")
	if !ok || !strings.HasPrefix(arn, "arn:") {
		return "", false
	}
	i := strings.LastIndexByte(rest, '-')
	if i < 0 || len(rest)-i-1 != 6 {
		return "", false
	}
	return rest[:i], true
}
