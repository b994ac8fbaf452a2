"""divergan.data"""
