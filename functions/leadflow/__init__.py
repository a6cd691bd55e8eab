"""leadflow: the lead lifecycle engine for HubSpot (the code deployed to AWS Lambda)."""
