"""LoadGen: MLPerf inference load generation, verdicts and logs."""
