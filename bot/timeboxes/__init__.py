"""Time-boxes: *I'm on it* starts one; after its working hours the person gets a DM."""
