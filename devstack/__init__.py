"""Local stand-ins for the cloud half of s3vl: S3 Vectors on moto and the Lambda Invoke API."""
