"""divergan.metrics"""
