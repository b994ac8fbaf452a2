"""divergan.train"""
