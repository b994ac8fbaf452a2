"""divergan.estimators"""
