package testenv

import (
	"fmt"
	"time"
)

// CloudTrailPutSecretValue is a Secrets Manager PutSecretValue call on the secret arn at
// at, as EventBridge delivers it to an SQS target (the CloudTrail record in "detail", the
// secret named by its ARN): what Ferry's aws-sqs change feed reads. Tests and the
// benchmark put it on the queue themselves, since moto runs no EventBridge.
func CloudTrailPutSecretValue(arn string, at time.Time) string {
	ts := at.UTC().Format(time.RFC3339)
	return fmt.Sprintf(cloudTrailPutSecretValue, ts, ts, arn, arn)
}

const cloudTrailPutSecretValue = `{
  "version": "0",
  "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "AWS API Call via CloudTrail",
  "source": "aws.secretsmanager",
  "account": "123456789012",
  "time": "%s",
  "region": "eu-west-1",
  "resources": [],
  "detail": {
    "eventVersion": "1.08",
    "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:rotation", "accountId": "123456789012"},
    "eventTime": "%s",
    "eventSource": "secretsmanager.amazonaws.com",
    "eventName": "PutSecretValue",
    "awsRegion": "eu-west-1",
    "sourceIPAddress": "192.0.2.10",
    "userAgent": "aws-cli/2.15.0",
    "requestParameters": {"secretId": "%s", "clientRequestToken": "0b4a7a8e-4a46-4e7a-9a55-6d1c4e0b6f6a"},
    "responseElements": {"arn": "%s", "versionId": "0b4a7a8e-4a46-4e7a-9a55-6d1c4e0b6f6a", "versionStages": ["AWSCURRENT"]},
    "requestID": "f4a3c0c2-0a1e-4f0d-8f61-0b1c1e1f6a3d",
    "eventID": "8f6e0e3c-5d0a-4b8e-9c51-2b9d2d7c0f31",
    "readOnly": false,
    "eventType": "AwsApiCall",
    "managementEvent": true,
    "recipientAccountId": "123456789012",
    "eventCategory": "Management"
  }
}`
