package harness

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/ferryhq/ferry/internal/testenv"
)

// The change feed of Config.Feed: an SQS queue on moto that the store's annotations name.
// moto runs no EventBridge, so the harness puts the event on the queue itself.

const feedQueue = "ferry-bench-changes"

func sqsClient(endpoint string) *sqs.Client {
	return sqs.NewFromConfig(aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("seed", "seed", ""),
		BaseEndpoint: aws.String(endpoint),
	})
}

// createQueue creates the feed's queue and returns its URL.
func createQueue(ctx context.Context, endpoint string) (string, error) {
	out, err := sqsClient(endpoint).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(feedQueue)})
	if err != nil {
		return "", fmt.Errorf("creating the change feed's queue: %w", err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// feedAnnotations configure the store's SQS feed on queue; none when queue is empty.
func feedAnnotations(queue string) map[string]string {
	if queue == "" {
		return nil
	}
	return map[string]string{"events.ferry.dev/aws-sqs-queue-url": queue, "events.ferry.dev/aws-sqs-wait-seconds": "2"}
}

// secretARN returns the ARN of the remote secret key, which change events name.
func secretARN(ctx context.Context, sm *secretsmanager.Client, key string) (string, error) {
	secret, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(key)})
	if err != nil {
		return "", fmt.Errorf("describing %s: %w", key, err)
	}
	return aws.ToString(secret.ARN), nil
}

// sendChange puts on queue the EventBridge event of a PutSecretValue on the secret arn, as
// EventBridge would after the harness's write.
func sendChange(ctx context.Context, endpoint, queue, arn string) error {
	body := testenv.CloudTrailPutSecretValue(arn, time.Now())
	if _, err := sqsClient(endpoint).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queue), MessageBody: aws.String(body)}); err != nil {
		return fmt.Errorf("sending the change event: %w", err)
	}
	return nil
}
