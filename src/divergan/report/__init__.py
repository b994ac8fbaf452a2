"""divergan.report"""
