"""divergan.lab"""
