"""divergan.nn"""
