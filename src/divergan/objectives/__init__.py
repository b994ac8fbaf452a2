"""divergan.objectives"""
